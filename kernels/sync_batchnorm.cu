// CUDA SyncBatchNorm2d kernels (see kernels/sync_batchnorm.h). Local statistics: one block per
// channel, each thread sums a fixed strided subset in double, then a fixed warp-shuffle tree
// (the scheme of kernels/batchnorm.cu); no atomics, so results repeat to the bit.
#include "kernels/sync_batchnorm.h"

#include "base/cuda/check.h"
#include "kernels/block_reduce.cuh"
#include "kernels/launch.cuh"
#include "kernels/sync_batchnorm_combine.h"

namespace learner {

namespace {

constexpr int kChannelThreads = 512;  // a multiple of 32, at most 1024

// Thread t visits flat indices t, t + blockDim, ... of one channel's M = N * HW values.
__global__ void local_stats_kernel(float* stats, const float* x, int64_t N, int64_t C,
                                   int64_t HW) {
  __shared__ double scratch[33];
  const int64_t c = blockIdx.x;
  const int64_t M = N * HW;
  double sum = 0;
  for (int64_t k = threadIdx.x; k < M; k += blockDim.x) sum += x[((k / HW) * C + c) * HW + k % HW];
  const double mu = M > 0 ? block_sum(sum, scratch) / static_cast<double>(M) : 0.0;
  double m2 = 0;
  for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
    const double d = x[((k / HW) * C + c) * HW + k % HW] - mu;
    m2 += d * d;
  }
  m2 = block_sum(m2, scratch);
  if (threadIdx.x == 0) {
    float* s = stats + c * kSyncBnStatsWidth;
    split_double(static_cast<double>(M), s);
    split_double(mu, s + 2);
    split_double(m2, s + 4);
  }
}

__global__ void combine_kernel(float* mean, float* invstd, float* total, float* running_mean,
                               float* running_var, const float* gathered, int64_t R, int64_t C,
                               float momentum, float eps) {
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x) {
    sync_batchnorm_combine_channel(c, mean, invstd, total, running_mean, running_var, gathered, R, C, momentum,
                                   eps);
  }
}

__global__ void backward_dx_kernel(float* dx, const float* dy, const float* x, const float* mean,
                                   const float* invstd, const float* weight, const float* sums,
                                   const float* total, int64_t C, int64_t HW, int64_t n_total) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_total;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = (j / HW) % C;
    const float is = invstd[c];
    const float inv_m = 1.f / total[c];
    const float xhat = (x[j] - mean[c]) * is;
    dx[j] = weight[c] * is * (dy[j] - sums[C + c] * inv_m - xhat * (sums[c] * inv_m));
  }
}

}  // namespace

void sync_batchnorm_local_stats_cuda(float* stats, const float* x, int64_t N, int64_t C,
                                     int64_t HW, cudaStream_t stream) {
  if (C == 0) return;
  local_stats_kernel<<<static_cast<unsigned>(C), kChannelThreads, 0, stream>>>(stats, x, N, C, HW);
  CUDA_CHECK_LAUNCH();
}

void sync_batchnorm_combine_cuda(float* mean, float* invstd, float* total, float* running_mean,
                                 float* running_var, const float* gathered, int64_t R, int64_t C,
                                 float momentum, float eps, cudaStream_t stream) {
  if (C == 0) return;
  combine_kernel<<<blocks_for(C), kThreadsPerBlock, 0, stream>>>(
      mean, invstd, total, running_mean, running_var, gathered, R, C, momentum, eps);
  CUDA_CHECK_LAUNCH();
}

void sync_batchnorm_backward_dx_cuda(float* dx, const float* dy, const float* x,
                                     const float* mean, const float* invstd, const float* weight,
                                     const float* sums, const float* total, int64_t N, int64_t C,
                                     int64_t HW, cudaStream_t stream) {
  const int64_t n_total = N * C * HW;
  if (n_total == 0) return;
  backward_dx_kernel<<<blocks_for(n_total), kThreadsPerBlock, 0, stream>>>(
      dx, dy, x, mean, invstd, weight, sums, total, C, HW, n_total);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
