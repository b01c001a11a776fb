// Fused optimizer updates over n contiguous f32 parameters; each updates param and its
// state in place (the one place kernels write their inputs: that is what a step is).
//
// Adam (PyTorch semantics, bias-corrected; the caller computes the per-step scalars):
//   g  = grad + weight_decay * param
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g * g
//   param -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
//   with step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t).
// SGD with momentum (PyTorch semantics, dampening 0):
//   g = grad + weight_decay * param;  buf = first ? g : momentum * buf + g;  param -= lr * buf
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

struct AdamScalars {
  float beta1, beta2, eps, weight_decay;
  float step_size;              // lr / (1 - beta1^t)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};

void adam_step_cpu(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                   const AdamScalars& s);
void adam_step_cuda(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                    const AdamScalars& s, cudaStream_t stream);

struct SgdScalars {
  float lr, momentum, weight_decay;
  bool first_step;  // the momentum buffer starts as the first gradient
};

void sgd_step_cpu(float* param, float* momentum_buf, const float* grad, int64_t n, const SgdScalars& s);
void sgd_step_cuda(float* param, float* momentum_buf, const float* grad, int64_t n,
                   const SgdScalars& s, cudaStream_t stream);

}  // namespace learner
