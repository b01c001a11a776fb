// CUDA kernels of the mean squared error (the sum itself is kernels/reduce's fixed tree).
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/mse_loss.h"

namespace learner {

namespace {

__global__ void squared_diff_kernel(float* out, const float* p, const float* t, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float d = p[i] - t[i];
    out[i] = d * d;
  }
}

__global__ void mse_backward_kernel(float* dp, float* dt, const float* dloss, const float* p,
                                    const float* t, int64_t n) {
  const float scale = 2.f * dloss[0] / static_cast<float>(n);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float g = scale * (p[i] - t[i]);
    if (dp) dp[i] = g;
    if (dt) dt[i] = -g;
  }
}

}  // namespace

void squared_diff_cuda(float* out, const float* p, const float* t, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  squared_diff_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, p, t, n);
  CUDA_CHECK_LAUNCH();
}

void mse_backward_cuda(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                       int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  mse_backward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dp, dt, dloss, p, t, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
