// CUDA exact GELU: grid-stride loops with erff/expf, one launch each.
#include "base/cuda/check.h"
#include "kernels/gelu.h"
#include "kernels/launch.cuh"

namespace learner {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

__global__ void gelu_forward_kernel(float* y, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = 0.5f * x[i] * (1.f + erff(x[i] * kInvSqrt2));
}

__global__ void gelu_backward_kernel(float* dx, const float* dy, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float cdf = 0.5f * (1.f + erff(x[i] * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * expf(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

}  // namespace

void gelu_forward_cuda(float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  gelu_forward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(y, x, n);
  CUDA_CHECK_LAUNCH();
}

void gelu_backward_cuda(float* dx, const float* dy, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  gelu_backward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dx, dy, x, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
