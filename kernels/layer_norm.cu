// CUDA LayerNorm: one warp per row (lanes stride over D, a fixed xor tree), two passes so
// the variance is summed from centred values; the parameter gradients one thread per
// column, rows ascending. No atomics: results repeat to the bit.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/layer_norm.h"

namespace learner {

namespace {

constexpr int kWarpsPerBlock = kThreadsPerBlock / 32;

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__global__ void layer_norm_forward_kernel(float* y, float* mean, float* rstd, const float* x,
                                          const float* gamma, const float* beta, int64_t N,
                                          int64_t D, float eps) {
  const int lane = threadIdx.x % 32;
  for (int64_t n = blockIdx.x * (int64_t)kWarpsPerBlock + threadIdx.x / 32; n < N;
       n += (int64_t)gridDim.x * kWarpsPerBlock) {
    const float* xr = x + n * D;
    float sum = 0.f;
    for (int64_t j = lane; j < D; j += 32) sum += xr[j];
    const float mu = warp_sum(sum) / static_cast<float>(D);
    float sq = 0.f;
    for (int64_t j = lane; j < D; j += 32) sq += (xr[j] - mu) * (xr[j] - mu);
    const float r = rsqrtf(warp_sum(sq) / static_cast<float>(D) + eps);
    if (lane == 0) {
      mean[n] = mu;
      rstd[n] = r;
    }
    float* yr = y + n * D;
    for (int64_t j = lane; j < D; j += 32) yr[j] = (xr[j] - mu) * r * gamma[j] + beta[j];
  }
}

__global__ void layer_norm_backward_input_kernel(float* dx, const float* dy, const float* x,
                                                 const float* mean, const float* rstd,
                                                 const float* gamma, int64_t N, int64_t D) {
  const int lane = threadIdx.x % 32;
  for (int64_t n = blockIdx.x * (int64_t)kWarpsPerBlock + threadIdx.x / 32; n < N;
       n += (int64_t)gridDim.x * kWarpsPerBlock) {
    const float* xr = x + n * D;
    const float* gr = dy + n * D;
    const float mu = mean[n], r = rstd[n];
    float sum_g = 0.f, sum_gx = 0.f;
    for (int64_t j = lane; j < D; j += 32) {
      const float g = gr[j] * gamma[j];
      sum_g += g;
      sum_gx += g * (xr[j] - mu) * r;
    }
    const float mean_g = warp_sum(sum_g) / static_cast<float>(D);
    const float mean_gx = warp_sum(sum_gx) / static_cast<float>(D);
    float* dxr = dx + n * D;
    for (int64_t j = lane; j < D; j += 32)
      dxr[j] = r * (gr[j] * gamma[j] - mean_g - (xr[j] - mu) * r * mean_gx);
  }
}

__global__ void layer_norm_backward_params_kernel(float* dgamma, float* dbeta, const float* dy,
                                                  const float* x, const float* mean,
                                                  const float* rstd, int64_t N, int64_t D) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < D;
       j += (int64_t)gridDim.x * blockDim.x) {
    float acc_gamma = 0.f, acc_beta = 0.f;
    for (int64_t n = 0; n < N; ++n) {
      const float g = dy[n * D + j];
      acc_gamma += g * (x[n * D + j] - mean[n]) * rstd[n];
      acc_beta += g;
    }
    if (dgamma != nullptr) dgamma[j] = acc_gamma;
    if (dbeta != nullptr) dbeta[j] = acc_beta;
  }
}

int row_blocks(int64_t N) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((N + kWarpsPerBlock - 1) / kWarpsPerBlock, 65535)));
}

}  // namespace

void layer_norm_forward_cuda(float* y, float* mean, float* rstd, const float* x,
                             const float* gamma, const float* beta, int64_t N, int64_t D, float eps,
                             cudaStream_t stream) {
  if (N == 0 || D == 0) return;
  layer_norm_forward_kernel<<<row_blocks(N), kThreadsPerBlock, 0, stream>>>(y, mean, rstd, x, gamma,
                                                                            beta, N, D, eps);
  CUDA_CHECK_LAUNCH();
}

void layer_norm_backward_cuda(float* dx, float* dgamma, float* dbeta, const float* dy,
                              const float* x, const float* mean, const float* rstd,
                              const float* gamma, int64_t N, int64_t D, cudaStream_t stream) {
  if (D == 0) return;  // N = 0 still zeroes dgamma and dbeta
  layer_norm_backward_input_kernel<<<row_blocks(N), kThreadsPerBlock, 0, stream>>>(
      dx, dy, x, mean, rstd, gamma, N, D);
  CUDA_CHECK_LAUNCH();
  if (dgamma == nullptr && dbeta == nullptr) return;
  layer_norm_backward_params_kernel<<<blocks_for(D), kThreadsPerBlock, 0, stream>>>(
      dgamma, dbeta, dy, x, mean, rstd, N, D);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
