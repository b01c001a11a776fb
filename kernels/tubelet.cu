// CUDA tubelet extraction: one thread per output element (forward over cols, backward over
// x), so both are pure gathers with no write conflicts.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/tubelet.h"

namespace learner {

namespace {

__global__ void tubelet_forward_kernel(float* cols, const float* x, TubeletShape s) {
  const int64_t Hp = s.H / s.p, Wp = s.W / s.p, L = s.tubelets(), K = s.row(), p = s.p;
  const int64_t total = s.B * L * K;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < total;
       idx += (int64_t)gridDim.x * blockDim.x) {
    const int64_t k = idx % K, tubelet = (idx / K) % L, b = idx / (K * L);
    const int64_t v = k % p, u = (k / p) % p, dt = (k / (p * p)) % s.tt, c = k / (p * p * s.tt);
    const int64_t j = tubelet % Wp, i = (tubelet / Wp) % Hp, t = tubelet / (Hp * Wp);
    const int64_t frame = b * s.T + t * s.tt + dt;
    cols[idx] = x[((frame * s.C + c) * s.H + i * p + u) * s.W + j * p + v];
  }
}

__global__ void tubelet_backward_kernel(float* dx, const float* dcols, TubeletShape s) {
  const int64_t Tt = s.T / s.tt, Hp = s.H / s.p, Wp = s.W / s.p, K = s.row(), p = s.p;
  const int64_t total = s.B * s.T * s.C * s.H * s.W;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < total;
       idx += (int64_t)gridDim.x * blockDim.x) {
    const int64_t w = idx % s.W, h = (idx / s.W) % s.H, c = (idx / (s.H * s.W)) % s.C;
    const int64_t frame = idx / (s.C * s.H * s.W);
    const int64_t b = frame / s.T, t = (frame % s.T) / s.tt, dt = frame % s.tt, i = h / p, j = w / p;
    dx[idx] = i < Hp && j < Wp
                  ? dcols[((b * Tt + t) * Hp * Wp + i * Wp + j) * K + ((c * s.tt + dt) * p + h % p) * p + w % p]
                  : 0.f;
  }
}

}  // namespace

void tubelet_forward_cuda(float* cols, const float* x, const TubeletShape& s, cudaStream_t stream) {
  const int64_t total = s.B * s.tubelets() * s.row();
  if (total == 0) return;
  tubelet_forward_kernel<<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(cols, x, s);
  CUDA_CHECK_LAUNCH();
}

void tubelet_backward_cuda(float* dx, const float* dcols, const TubeletShape& s, cudaStream_t stream) {
  const int64_t total = s.B * s.T * s.C * s.H * s.W;
  if (total == 0) return;
  tubelet_backward_kernel<<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(dx, dcols, s);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
