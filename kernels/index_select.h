// index_select along one axis, with x viewed as (O, R, I) and an index of length L:
//   forward:  out[o, p, i] = x[o, index[p], i]                       out is (O, L, I)
//   backward: dx[o, r, i] = sum of dy[o, p, i] over p with index[p] == r, p ascending
// Indices are i64 or i32 and must already lie in [0, R) (kernels/index_check.h); the CUDA
// forward writes zero for an out-of-range index rather than read outside x.
// The forward copies any element type by size (1, 2, 4, 8 bytes); the backward is f32.
// Kernels overwrite their outputs: dx rows that no index names are zero.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/stream.h"

namespace learner {

void index_select_forward_cpu(void* out, const void* x, size_t element_size, const int64_t* index,
                              int64_t length, int64_t outer, int64_t rows, int64_t inner);
void index_select_forward_cpu(void* out, const void* x, size_t element_size, const int32_t* index,
                              int64_t length, int64_t outer, int64_t rows, int64_t inner);
void index_select_backward_cpu(float* dx, const float* dy, const int64_t* index, int64_t length,
                               int64_t outer, int64_t rows, int64_t inner);
void index_select_backward_cpu(float* dx, const float* dy, const int32_t* index, int64_t length,
                               int64_t outer, int64_t rows, int64_t inner);

void index_select_forward_cuda(void* out, const void* x, size_t element_size,
                               const int64_t* index, int64_t length, int64_t outer, int64_t rows,
                               int64_t inner, cudaStream_t stream);
void index_select_forward_cuda(void* out, const void* x, size_t element_size,
                               const int32_t* index, int64_t length, int64_t outer, int64_t rows,
                               int64_t inner, cudaStream_t stream);

// The CUDA backward has no atomics: it sorts the positions by index (a stable radix sort),
// so each dx element sums its own positions in ascending p, the CPU's order: both devices
// give the same bits. It needs `workspace` of index_select_backward_cuda_workspace() bytes;
// length and rows must be below 2^31.
size_t index_select_backward_cuda_workspace(int64_t length, int64_t rows);
void index_select_backward_cuda(float* dx, const float* dy, const int64_t* index, int64_t length,
                                int64_t outer, int64_t rows, int64_t inner, void* workspace,
                                cudaStream_t stream);
void index_select_backward_cuda(float* dx, const float* dy, const int32_t* index, int64_t length,
                                int64_t outer, int64_t rows, int64_t inner, void* workspace,
                                cudaStream_t stream);

}  // namespace learner
