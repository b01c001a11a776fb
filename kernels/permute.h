// Permutation of the axes of a contiguous tensor (any element type, by element size):
//   out has shape out_shape[k] = in_shape[dims[k]], and
//   out[c_0, ..., c_{n-1}] = x[j] with j = sum_k c_k * in_stride[dims[k]].
// Kernels overwrite `out`; element_size is 1, 2, 4 or 8 bytes; rank <= kMaxPermuteRank.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/stream.h"

namespace learner {

constexpr int kMaxPermuteRank = 8;

void permute_cpu(void* out, const void* x, size_t element_size, int rank, const int64_t* in_shape,
                 const int* dims);
void permute_cuda(void* out, const void* x, size_t element_size, int rank,
                  const int64_t* in_shape, const int* dims, cudaStream_t stream);

}  // namespace learner
