// CUDA patch extraction: one thread per output element (forward over cols, backward over
// x), so both are pure gathers with no write conflicts.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/patchify.h"

namespace learner {

namespace {

__global__ void patchify_forward_kernel(float* cols, const float* x, int64_t N, int64_t C,
                                        int64_t H, int64_t W, int64_t p) {
  const int64_t Hp = H / p, Wp = W / p, K = C * p * p, total = N * Hp * Wp * K;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < total;
       idx += (int64_t)gridDim.x * blockDim.x) {
    const int64_t k = idx % K, patch = idx / K;
    const int64_t v = k % p, u = (k / p) % p, c = k / (p * p);
    const int64_t j = patch % Wp, i = (patch / Wp) % Hp, n = patch / (Hp * Wp);
    cols[idx] = x[((n * C + c) * H + i * p + u) * W + j * p + v];
  }
}

__global__ void patchify_backward_kernel(float* dx, const float* dcols, int64_t N, int64_t C,
                                         int64_t H, int64_t W, int64_t p) {
  const int64_t Hp = H / p, Wp = W / p, K = C * p * p, total = N * C * H * W;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < total;
       idx += (int64_t)gridDim.x * blockDim.x) {
    const int64_t w = idx % W, h = (idx / W) % H, c = (idx / (H * W)) % C, n = idx / (C * H * W);
    const int64_t i = h / p, j = w / p;
    dx[idx] = i < Hp && j < Wp
                  ? dcols[(n * Hp * Wp + i * Wp + j) * K + (c * p + h % p) * p + w % p]
                  : 0.f;
  }
}

}  // namespace

void patchify_forward_cuda(float* cols, const float* x, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t p, cudaStream_t stream) {
  const int64_t total = N * (H / p) * (W / p) * C * p * p;
  if (total == 0) return;
  patchify_forward_kernel<<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(cols, x, N, C, H, W, p);
  CUDA_CHECK_LAUNCH();
}

void patchify_backward_cuda(float* dx, const float* dcols, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t p, cudaStream_t stream) {
  const int64_t total = N * C * H * W;
  if (total == 0) return;
  patchify_backward_kernel<<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(dx, dcols, N, C, H, W, p);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
