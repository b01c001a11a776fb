// CUDA SyncBatchNorm2d kernels (see sync_batchnorm_kernels.h). Local statistics: one block per
// channel, each thread sums a fixed strided subset in double, then a fixed warp-shuffle tree
// (the scheme of kernels/batchnorm.cu); no atomics, so results repeat to the bit.
#include "dist/sync_batchnorm_kernels.h"
#include "framework/cuda/check.h"
#include "kernels/block_reduce.cuh"
#include "kernels/launch.cuh"

namespace learner {

namespace {

constexpr int kChannelThreads = 512;  // a multiple of 32, at most 1024

__device__ void split(double v, float* pair) {
  pair[0] = static_cast<float>(v);
  pair[1] = static_cast<float>(v - static_cast<double>(pair[0]));
}

__device__ double join(const float* pair) { return static_cast<double>(pair[0]) + pair[1]; }

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
    split(static_cast<double>(M), s);
    split(mu, s + 2);
    split(m2, s + 4);
  }
}

__global__ void combine_kernel(float* mean, float* invstd, float* total, float* running_mean,
                               float* running_var, const float* gathered, int64_t R, int64_t C,
                               float momentum, float eps) {
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x) {
    double n = 0, mu = 0, m2 = 0;
    for (int64_t r = 0; r < R; ++r) {
      const float* s = gathered + (r * C + c) * kSyncBnStatsWidth;
      const double n_b = join(s), mu_b = join(s + 2), m2_b = join(s + 4);
      if (n_b == 0) continue;
      const double n_ab = n + n_b, delta = mu_b - mu;
      mu += delta * n_b / n_ab;
      m2 += m2_b + delta * delta * n * n_b / n_ab;
      n = n_ab;
    }
    mean[c] = static_cast<float>(mu);
    invstd[c] = static_cast<float>(1.0 / sqrt(m2 / n + static_cast<double>(eps)));
    total[c] = static_cast<float>(n);
    const double m = momentum;
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mu);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * (m2 / (n - 1)));
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
