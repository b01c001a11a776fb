// CUDA token kernels: grid-stride loops; dtoken one thread per feature, b ascending.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/tokens.h"

namespace learner {

namespace {

__global__ void prepend_token_forward_kernel(float* out, const float* x, const float* token,
                                             int64_t B, int64_t N, int64_t D) {
  const int64_t total = B * (N + 1) * D;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t d = i % D, row = i / D;
    const int64_t n = row % (N + 1), b = row / (N + 1);
    out[i] = n == 0 ? token[d] : x[(b * N + n - 1) * D + d];
  }
}

__global__ void drop_first_token_kernel(float* dx, const float* dy, int64_t B, int64_t N,
                                        int64_t D) {
  const int64_t total = B * N * D;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t d = i % D, row = i / D;
    const int64_t n = row % N, b = row / N;
    dx[i] = dy[(b * (N + 1) + n + 1) * D + d];
  }
}

__global__ void first_token_sum_kernel(float* dtoken, const float* dy, int64_t B, int64_t N,
                                       int64_t D) {
  for (int64_t d = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; d < D;
       d += (int64_t)gridDim.x * blockDim.x) {
    float acc = 0.f;
    for (int64_t b = 0; b < B; ++b) acc += dy[b * (N + 1) * D + d];
    dtoken[d] = acc;
  }
}

__global__ void add_broadcast_kernel(float* out, const float* x, const float* p, int64_t total,
                                     int64_t M) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x)
    out[i] = x[i] + p[i % M];
}

}  // namespace

void prepend_token_forward_cuda(float* out, const float* x, const float* token, int64_t B,
                                int64_t N, int64_t D, cudaStream_t stream) {
  const int64_t total = B * (N + 1) * D;
  if (total == 0) return;
  prepend_token_forward_kernel<<<blocks_for(total), kThreadsPerBlock, 0, stream>>>(out, x, token, B, N, D);
  CUDA_CHECK_LAUNCH();
}

void prepend_token_backward_cuda(float* dx, float* dtoken, const float* dy, int64_t B, int64_t N,
                                 int64_t D, cudaStream_t stream) {
  if (dx != nullptr && B * N * D > 0) {
    drop_first_token_kernel<<<blocks_for(B * N * D), kThreadsPerBlock, 0, stream>>>(dx, dy, B, N, D);
    CUDA_CHECK_LAUNCH();
  }
  if (dtoken != nullptr && D > 0) {
    first_token_sum_kernel<<<blocks_for(D), kThreadsPerBlock, 0, stream>>>(dtoken, dy, B, N, D);
    CUDA_CHECK_LAUNCH();
  }
}

void add_broadcast_forward_cuda(float* out, const float* x, const float* p, int64_t Q, int64_t M,
                                cudaStream_t stream) {
  if (Q * M == 0) return;
  add_broadcast_kernel<<<blocks_for(Q * M), kThreadsPerBlock, 0, stream>>>(out, x, p, Q * M, M);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
