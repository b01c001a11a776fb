// CUDA BatchNorm2d (see batchnorm.h). Per-channel sums: one block per channel, each thread
// sums a fixed strided subset in double, then a fixed warp-shuffle tree; no atomics, so the
// result repeats to the bit. The elementwise parts are grid-stride loops.
#include "base/cuda/check.h"
#include "kernels/batchnorm.h"
#include "kernels/block_reduce.cuh"
#include "kernels/launch.cuh"

namespace learner {

namespace {

constexpr int kChannelThreads = 512;  // a multiple of 32, at most 1024

// Walks the M = N * HW values of one channel, thread t visiting flat indices t, t + blockDim,
// ... as (n, i) pairs, without a division per step.
struct ChannelWalk {
  int64_t n, i, step_n, step_i;
  __device__ explicit ChannelWalk(int64_t HW)
      : n(threadIdx.x / HW),
        i(threadIdx.x % HW),
        step_n(blockDim.x / HW),
        step_i(blockDim.x % HW) {}
  __device__ void next(int64_t HW) {
    n += step_n;
    i += step_i;
    if (i >= HW) {
      i -= HW;
      ++n;
    }
  }
};

__global__ void stats_kernel(float* mean, float* invstd, float* running_mean, float* running_var,
                             const float* x, int64_t N, int64_t C, int64_t HW, float momentum,
                             float eps) {
  __shared__ double scratch[33];
  const int64_t c = blockIdx.x;
  const int64_t M = N * HW;
  double sum = 0;
  for (ChannelWalk w(HW); w.n < N; w.next(HW)) sum += x[(w.n * C + c) * HW + w.i];
  const double mu = block_sum(sum, scratch) / static_cast<double>(M);
  double sq = 0;
  for (ChannelWalk w(HW); w.n < N; w.next(HW)) {
    const double d = x[(w.n * C + c) * HW + w.i] - mu;
    sq += d * d;
  }
  sq = block_sum(sq, scratch);
  if (threadIdx.x == 0) {
    const double var = sq / static_cast<double>(M);
    const double unbiased = sq / static_cast<double>(M - 1);
    mean[c] = static_cast<float>(mu);
    invstd[c] = static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps)));
    const double m = momentum;
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mu);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * unbiased);
  }
}

__global__ void eval_invstd_kernel(float* invstd, const float* running_var, int64_t C, float eps) {
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < C;
       c += (int64_t)gridDim.x * blockDim.x)
    invstd[c] = 1.f / sqrtf(running_var[c] + eps);
}

__global__ void apply_kernel(float* y, const float* x, const float* mean, const float* invstd,
                             const float* weight, const float* bias, int64_t C, int64_t HW,
                             int64_t n_total) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_total;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = (j / HW) % C;
    y[j] = (x[j] - mean[c]) * invstd[c] * weight[c] + bias[c];
  }
}

__global__ void backward_reduce_kernel(float* dweight, float* dbias, const float* dy,
                                       const float* x, const float* mean, const float* invstd,
                                       int64_t N, int64_t C, int64_t HW) {
  __shared__ double scratch[33];
  const int64_t c = blockIdx.x;
  const double mu = mean[c], is = invstd[c];
  double sum_dy = 0, sum_dy_xhat = 0;
  for (ChannelWalk w(HW); w.n < N; w.next(HW)) {
    const int64_t j = (w.n * C + c) * HW + w.i;
    const double g = dy[j];
    sum_dy += g;
    sum_dy_xhat += g * (x[j] - mu) * is;
  }
  sum_dy = block_sum(sum_dy, scratch);
  sum_dy_xhat = block_sum(sum_dy_xhat, scratch);
  if (threadIdx.x == 0) {
    dweight[c] = static_cast<float>(sum_dy_xhat);
    dbias[c] = static_cast<float>(sum_dy);
  }
}

__global__ void backward_train_kernel(float* dx, const float* dy, const float* x, const float* mean,
                                      const float* invstd, const float* weight,
                                      const float* dweight, const float* dbias, float inv_m,
                                      int64_t C, int64_t HW, int64_t n_total) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_total;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = (j / HW) % C;
    const float is = invstd[c];
    const float xhat = (x[j] - mean[c]) * is;
    dx[j] = weight[c] * is * (dy[j] - dbias[c] * inv_m - xhat * (dweight[c] * inv_m));
  }
}

__global__ void backward_eval_kernel(float* dx, const float* dy, const float* invstd,
                                     const float* weight, int64_t C, int64_t HW, int64_t n_total) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_total;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = (j / HW) % C;
    dx[j] = weight[c] * invstd[c] * dy[j];
  }
}

}  // namespace

void batchnorm_stats_cuda(float* mean, float* invstd, float* running_mean, float* running_var,
                          const float* x, int64_t N, int64_t C, int64_t HW, float momentum,
                          float eps, cudaStream_t stream) {
  if (C == 0) return;  // callers guarantee N * HW > 1
  stats_kernel<<<static_cast<unsigned>(C), kChannelThreads, 0, stream>>>(
      mean, invstd, running_mean, running_var, x, N, C, HW, momentum, eps);
  CUDA_CHECK_LAUNCH();
}

void batchnorm_eval_invstd_cuda(float* invstd, const float* running_var, int64_t C, float eps,
                                cudaStream_t stream) {
  if (C == 0) return;
  eval_invstd_kernel<<<blocks_for(C), kThreadsPerBlock, 0, stream>>>(invstd, running_var, C, eps);
  CUDA_CHECK_LAUNCH();
}

void batchnorm_apply_cuda(float* y, const float* x, const float* mean, const float* invstd,
                          const float* weight, const float* bias, int64_t N, int64_t C, int64_t HW,
                          cudaStream_t stream) {
  const int64_t n_total = N * C * HW;
  if (n_total == 0) return;
  apply_kernel<<<blocks_for(n_total), kThreadsPerBlock, 0, stream>>>(y, x, mean, invstd, weight,
                                                                     bias, C, HW, n_total);
  CUDA_CHECK_LAUNCH();
}

void batchnorm_backward_reduce_cuda(float* dweight, float* dbias, const float* dy, const float* x,
                                    const float* mean, const float* invstd, int64_t N, int64_t C,
                                    int64_t HW, cudaStream_t stream) {
  if (C == 0) return;
  if (N * HW == 0) {  // an empty batch (eval mode): the sums are zero
    CUDA_CHECK(cudaMemsetAsync(dweight, 0, C * sizeof(float), stream));
    CUDA_CHECK(cudaMemsetAsync(dbias, 0, C * sizeof(float), stream));
    return;
  }
  backward_reduce_kernel<<<static_cast<unsigned>(C), kChannelThreads, 0, stream>>>(
      dweight, dbias, dy, x, mean, invstd, N, C, HW);
  CUDA_CHECK_LAUNCH();
}

void batchnorm_backward_train_cuda(float* dx, const float* dy, const float* x, const float* mean,
                                   const float* invstd, const float* weight, const float* dweight,
                                   const float* dbias, int64_t N, int64_t C, int64_t HW,
                                   cudaStream_t stream) {
  const int64_t n_total = N * C * HW;
  if (n_total == 0) return;
  const float inv_m = 1.f / static_cast<float>(N * HW);
  backward_train_kernel<<<blocks_for(n_total), kThreadsPerBlock, 0, stream>>>(
      dx, dy, x, mean, invstd, weight, dweight, dbias, inv_m, C, HW, n_total);
  CUDA_CHECK_LAUNCH();
}

void batchnorm_backward_eval_cuda(float* dx, const float* dy, const float* invstd,
                                  const float* weight, int64_t N, int64_t C, int64_t HW,
                                  cudaStream_t stream) {
  const int64_t n_total = N * C * HW;
  if (n_total == 0) return;
  backward_eval_kernel<<<blocks_for(n_total), kThreadsPerBlock, 0, stream>>>(dx, dy, invstd, weight,
                                                                             C, HW, n_total);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
