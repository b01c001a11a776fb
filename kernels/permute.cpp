// CPU permute: one output row (the last output axis) at a time; rows are independent.
#include "kernels/permute.h"

#include <cstring>

namespace learner {

namespace {

template <typename T>
void permute_rows(T* out, const T* x, int rank, const int64_t* in_shape, const int* dims) {
  int64_t in_stride[kMaxPermuteRank], out_shape[kMaxPermuteRank], src_stride[kMaxPermuteRank];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    in_stride[d] = s;
    s *= in_shape[d];
  }
  for (int k = 0; k < rank; ++k) {
    out_shape[k] = in_shape[dims[k]];
    src_stride[k] = in_stride[dims[k]];  // step in x for one step along output axis k
  }
  const int64_t cols = out_shape[rank - 1], step = src_stride[rank - 1];
  const int64_t rows = cols == 0 ? 0 : s / cols;
#pragma omp parallel for if (s > (1 << 16))
  for (int64_t row = 0; row < rows; ++row) {
    int64_t src = 0, rest = row;
    for (int k = rank - 2; k >= 0; --k) {
      src += (rest % out_shape[k]) * src_stride[k];
      rest /= out_shape[k];
    }
    T* dst = out + row * cols;
    for (int64_t c = 0; c < cols; ++c) dst[c] = x[src + c * step];
  }
}

template <typename T>
void permute_typed(void* out, const void* x, int rank, const int64_t* in_shape, const int* dims) {
  permute_rows(static_cast<T*>(out), static_cast<const T*>(x), rank, in_shape, dims);
}

}  // namespace

void permute_cpu(void* out, const void* x, size_t element_size, int rank, const int64_t* in_shape,
                 const int* dims) {
  if (rank == 0) {
    std::memcpy(out, x, element_size);
    return;
  }
  switch (element_size) {
    case 1: permute_typed<uint8_t>(out, x, rank, in_shape, dims); break;
    case 2: permute_typed<uint16_t>(out, x, rank, in_shape, dims); break;
    case 4: permute_typed<uint32_t>(out, x, rank, in_shape, dims); break;
    default: permute_typed<uint64_t>(out, x, rank, in_shape, dims); break;
  }
}

}  // namespace learner
