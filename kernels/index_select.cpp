// CPU index_select: row copies forward; backward adds each dy row into its dx row, p ascending.
#include "kernels/index_select.h"

#include <cstring>

namespace learner {

namespace {

template <typename I>
void gather(void* out, const void* x, size_t element_size, const I* index, int64_t length,
            int64_t outer, int64_t rows, int64_t inner) {
  const size_t row_bytes = static_cast<size_t>(inner) * element_size;
  char* dst = static_cast<char*>(out);
  const char* src = static_cast<const char*>(x);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t p = 0; p < length; ++p)
      std::memcpy(dst + (o * length + p) * row_bytes,
                  src + (o * rows + static_cast<int64_t>(index[p])) * row_bytes, row_bytes);
}

template <typename I>
void scatter_add(float* dx, const float* dy, const I* index, int64_t length, int64_t outer,
                 int64_t rows, int64_t inner) {
  std::memset(dx, 0, static_cast<size_t>(outer * rows * inner) * sizeof(float));
  // Each o writes only its own dx block, so the loop over o may run in parallel.
#pragma omp parallel for if (outer > 1 && outer * length * inner > (1 << 16))
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t p = 0; p < length; ++p) {
      float* d = dx + (o * rows + static_cast<int64_t>(index[p])) * inner;
      const float* g = dy + (o * length + p) * inner;
      for (int64_t i = 0; i < inner; ++i) d[i] += g[i];
    }
}

}  // namespace

void index_select_forward_cpu(void* out, const void* x, size_t element_size, const int64_t* index,
                              int64_t length, int64_t outer, int64_t rows, int64_t inner) {
  gather(out, x, element_size, index, length, outer, rows, inner);
}
void index_select_forward_cpu(void* out, const void* x, size_t element_size, const int32_t* index,
                              int64_t length, int64_t outer, int64_t rows, int64_t inner) {
  gather(out, x, element_size, index, length, outer, rows, inner);
}
void index_select_backward_cpu(float* dx, const float* dy, const int64_t* index, int64_t length,
                               int64_t outer, int64_t rows, int64_t inner) {
  scatter_add(dx, dy, index, length, outer, rows, inner);
}
void index_select_backward_cpu(float* dx, const float* dy, const int32_t* index, int64_t length,
                               int64_t outer, int64_t rows, int64_t inner) {
  scatter_add(dx, dy, index, length, outer, rows, inner);
}

}  // namespace learner
