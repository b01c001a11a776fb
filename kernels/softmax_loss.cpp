// CPU reference for log-softmax and cross-entropy: one row at a time, sums in double.
#include "kernels/softmax_loss.h"

#include <algorithm>
#include <cmath>

namespace learner {

void log_softmax_forward_cpu(float* y, const float* x, int64_t n, int64_t k) {
#pragma omp parallel for if (n * k > (1 << 16))
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x + r * k;
    float m = xr[0];
    for (int64_t j = 1; j < k; ++j) m = std::max(m, xr[j]);
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s += std::exp(static_cast<double>(xr[j] - m));
    const float log_sum = static_cast<float>(std::log(s));
    for (int64_t j = 0; j < k; ++j) y[r * k + j] = (xr[j] - m) - log_sum;
  }
}

void log_softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t n, int64_t k) {
#pragma omp parallel for if (n * k > (1 << 16))
  for (int64_t r = 0; r < n; ++r) {
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s += dy[r * k + j];
    const float total = static_cast<float>(s);
    for (int64_t j = 0; j < k; ++j)
      dx[r * k + j] = dy[r * k + j] - std::exp(y[r * k + j]) * total;
  }
}

void nll_pick_cpu(float* picked, const float* logp, const int64_t* target, int64_t n, int64_t k) {
  for (int64_t r = 0; r < n; ++r) picked[r] = logp[r * k + target[r]];
}

void cross_entropy_backward_cpu(float* dx, const float* dloss, const float* logp,
                                const int64_t* target, int64_t n, int64_t k) {
  const float scale = dloss[0] / static_cast<float>(n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < k; ++j)
      dx[r * k + j] = scale * (std::exp(logp[r * k + j]) - (j == target[r] ? 1.f : 0.f));
}

}  // namespace learner
