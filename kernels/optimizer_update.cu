// CUDA fused optimizer updates: one pass over parameter, gradient and state per step.
// Each thread does the same float operations in the same order as the CPU reference.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/optimizer_update.h"

namespace learner {

namespace {

__global__ void adam_step_kernel(float* param, float* exp_avg, float* exp_avg_sq, const float* grad,
                                 int64_t n, AdamScalars s) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float g = grad[i] + s.weight_decay * param[i];
    const float m = s.beta1 * exp_avg[i] + (1.f - s.beta1) * g;
    const float v = s.beta2 * exp_avg_sq[i] + (1.f - s.beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    const float denom = sqrtf(v) / s.bias_correction2_sqrt + s.eps;
    param[i] -= s.step_size * m / denom;
  }
}

__global__ void sgd_step_kernel(float* param, float* momentum_buf, const float* grad, int64_t n,
                                SgdScalars s) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    float g = grad[i] + s.weight_decay * param[i];
    if (s.momentum != 0.f) {
      momentum_buf[i] = s.first_step ? g : s.momentum * momentum_buf[i] + g;
      g = momentum_buf[i];
    }
    param[i] -= s.lr * g;
  }
}

}  // namespace

void adam_step_cuda(float* param, float* exp_avg, float* exp_avg_sq, const float* grad, int64_t n,
                    const AdamScalars& s, cudaStream_t stream) {
  if (n == 0) return;
  adam_step_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(param, exp_avg, exp_avg_sq, grad, n, s);
  CUDA_CHECK_LAUNCH();
}

void sgd_step_cuda(float* param, float* momentum_buf, const float* grad, int64_t n,
                   const SgdScalars& s, cudaStream_t stream) {
  if (n == 0) return;
  sgd_step_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(param, momentum_buf, grad, n, s);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
