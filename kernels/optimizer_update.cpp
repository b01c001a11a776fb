// CPU reference for the fused optimizer updates.
#include <cmath>

#include "kernels/optimizer_update.h"

namespace learner {

void adam_step_cpu(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                   const AdamScalars& s) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + s.weight_decay * param[i];
    exp_avg[i] = s.beta1 * exp_avg[i] + (1.f - s.beta1) * g;
    exp_avg_sq[i] = s.beta2 * exp_avg_sq[i] + (1.f - s.beta2) * g * g;
    const float denom = std::sqrt(exp_avg_sq[i]) / s.bias_correction2_sqrt + s.eps;
    param[i] -= s.step_size * exp_avg[i] / denom;
  }
}

void sgd_step_cpu(float* param, float* momentum_buf, const float* grad, int64_t n, const SgdScalars& s) {
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i] + s.weight_decay * param[i];
    if (s.momentum != 0.f) {
      momentum_buf[i] = s.first_step ? g : s.momentum * momentum_buf[i] + g;
      g = momentum_buf[i];
    }
    param[i] -= s.lr * g;
  }
}

}  // namespace learner
