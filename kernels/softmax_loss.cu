// CUDA log-softmax and cross-entropy: one warp per row (8 rows per block); lane l takes
// columns l, l + 32, ... and the warp combines them with a fixed xor-shuffle tree, so the
// result does not depend on scheduling.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/softmax_loss.h"

namespace learner {

namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 8;

__device__ float warp_max(float v) {
  for (int s = kWarp / 2; s > 0; s >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, s));
  return v;
}

__device__ float warp_sum(float v) {
  for (int s = kWarp / 2; s > 0; s >>= 1) v += __shfl_xor_sync(0xffffffffu, v, s);
  return v;
}

unsigned row_blocks(int64_t n) { return static_cast<unsigned>((n + kRowsPerBlock - 1) / kRowsPerBlock); }

// Rows past n keep their warp alive (no early return) so every shuffle has all 32 lanes.
__global__ void log_softmax_forward_kernel(float* y, const float* x, int64_t n, int64_t k) {
  const int64_t row = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  const bool active = row < n;
  const float* xr = x + row * k;
  float m = -INFINITY;
  if (active)
    for (int64_t j = lane; j < k; j += kWarp) m = fmaxf(m, xr[j]);
  m = warp_max(m);
  float s = 0.f;
  if (active)
    for (int64_t j = lane; j < k; j += kWarp) s += expf(xr[j] - m);
  const float log_sum = logf(warp_sum(s));
  if (active)
    for (int64_t j = lane; j < k; j += kWarp) y[row * k + j] = (xr[j] - m) - log_sum;
}

__global__ void log_softmax_backward_kernel(float* dx, const float* dy, const float* y, int64_t n,
                                            int64_t k) {
  const int64_t row = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  const bool active = row < n;
  float s = 0.f;
  if (active)
    for (int64_t j = lane; j < k; j += kWarp) s += dy[row * k + j];
  const float total = warp_sum(s);
  if (active)
    for (int64_t j = lane; j < k; j += kWarp)
      dx[row * k + j] = dy[row * k + j] - expf(y[row * k + j]) * total;
}

__global__ void nll_pick_kernel(float* picked, const float* logp, const int64_t* target, int64_t n,
                                int64_t k) {
  for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r < n;
       r += (int64_t)gridDim.x * blockDim.x)
    picked[r] = logp[r * k + target[r]];
}

__global__ void cross_entropy_backward_kernel(float* dx, const float* dloss, const float* logp,
                                              const int64_t* target, int64_t n, int64_t k) {
  const float scale = dloss[0] / static_cast<float>(n);
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n * k;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t r = j / k, c = j % k;
    dx[j] = scale * (expf(logp[j]) - (c == target[r] ? 1.f : 0.f));
  }
}

}  // namespace

void log_softmax_forward_cuda(float* y, const float* x, int64_t n, int64_t k, cudaStream_t stream) {
  if (n == 0 || k == 0) return;
  log_softmax_forward_kernel<<<row_blocks(n), kRowsPerBlock * kWarp, 0, stream>>>(y, x, n, k);
  CUDA_CHECK_LAUNCH();
}

void log_softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t n, int64_t k,
                               cudaStream_t stream) {
  if (n == 0 || k == 0) return;
  log_softmax_backward_kernel<<<row_blocks(n), kRowsPerBlock * kWarp, 0, stream>>>(dx, dy, y, n, k);
  CUDA_CHECK_LAUNCH();
}

void nll_pick_cuda(float* picked, const float* logp, const int64_t* target, int64_t n, int64_t k,
                   cudaStream_t stream) {
  if (n == 0) return;
  nll_pick_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(picked, logp, target, n, k);
  CUDA_CHECK_LAUNCH();
}

void cross_entropy_backward_cuda(float* dx, const float* dloss, const float* logp,
                                 const int64_t* target, int64_t n, int64_t k, cudaStream_t stream) {
  if (n * k == 0) return;
  cross_entropy_backward_kernel<<<blocks_for(n * k), kThreadsPerBlock, 0, stream>>>(
      dx, dloss, logp, target, n, k);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
