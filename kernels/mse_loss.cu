// CUDA kernels of the mean squared error (the sum itself is kernels/reduce's fixed tree).
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/mse_loss.h"
#include "kernels/reduce.h"

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

int64_t mse_forward_cuda_workspace(int64_t n) { return n + sum_axis_cuda_workspace(1, n, 1); }

void mse_forward_cuda(float* loss, float* workspace, const float* p, const float* t, int64_t n,
                      cudaStream_t stream) {
  if (n == 0) return;
  float* squares = workspace;
  squared_diff_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(squares, p, t, n);
  CUDA_CHECK_LAUNCH();
  float* sum_scratch = sum_axis_cuda_workspace(1, n, 1) > 0 ? workspace + n : nullptr;
  sum_axis_cuda(loss, squares, 1, n, 1, static_cast<float>(1.0 / static_cast<double>(n)),
                sum_scratch, stream);
}

void mse_backward_cuda(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                       int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  mse_backward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dp, dt, dloss, p, t, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
