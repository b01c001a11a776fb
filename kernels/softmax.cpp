// CPU reference for the row softmax with bias: max, exp, double sum, divide.
#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/parallel.h"

namespace learner {

void softmax_forward_cpu(float* y, const float* x, const float* bias, int64_t Q, int64_t P,
                         int64_t L) {
  const int64_t rows = Q * P;
#pragma omp parallel for if (rows * L > kParallelMinWork)
  for (int64_t row = 0; row < rows; ++row) {
    const float* xr = x + row * L;
    const float* br = bias != nullptr ? bias + (row % P) * L : nullptr;
    float* yr = y + row * L;
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t l = 0; l < L; ++l) {
      yr[l] = br != nullptr ? xr[l] + br[l] : xr[l];
      top = std::max(top, yr[l]);
    }
    if (top == -std::numeric_limits<float>::infinity()) {  // fully masked row
      for (int64_t l = 0; l < L; ++l) yr[l] = 0.f;
      continue;
    }
    double total = 0.0;
    for (int64_t l = 0; l < L; ++l) {
      yr[l] = std::exp(yr[l] - top);
      total += yr[l];
    }
    const float inv = static_cast<float>(1.0 / total);
    for (int64_t l = 0; l < L; ++l) yr[l] *= inv;
  }
}

void softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t rows, int64_t L) {
#pragma omp parallel for if (rows * L > kParallelMinWork)
  for (int64_t row = 0; row < rows; ++row) {
    const float* gr = dy + row * L;
    const float* yr = y + row * L;
    double dot = 0.0;
    for (int64_t l = 0; l < L; ++l) dot += static_cast<double>(gr[l]) * yr[l];
    const float d = static_cast<float>(dot);
    float* dxr = dx + row * L;
    for (int64_t l = 0; l < L; ++l) dxr[l] = yr[l] * (gr[l] - d);
  }
}

}  // namespace learner
