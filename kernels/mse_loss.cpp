// CPU reference for the mean squared error.
#include "kernels/mse_loss.h"

namespace learner {

void mse_forward_cpu(float* loss, const float* p, const float* t, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(p[i] - t[i]);
    s += d * d;
  }
  loss[0] = static_cast<float>(s / static_cast<double>(n));
}

void mse_backward_cpu(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                      int64_t n) {
  const float scale = 2.f * dloss[0] / static_cast<float>(n);
  for (int64_t i = 0; i < n; ++i) {
    const float g = scale * (p[i] - t[i]);
    if (dp) dp[i] = g;
    if (dt) dt[i] = -g;
  }
}

}  // namespace learner
