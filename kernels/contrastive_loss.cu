// CUDA contrastive loss: one block per anchor row reduces its terms with a fixed tree, one block
// per group sums the anchors the same way; the backward is one elementwise pass. No atomics.
#include "base/cuda/check.h"
#include "base/error.h"
#include "kernels/contrastive_loss.h"
#include "kernels/contrastive_loss_grad.h"
#include "kernels/launch.cuh"
#include "kernels/mining.h"

namespace learner {

namespace {

constexpr int kReduceThreads = 256;

// Sum over the block in a fixed order: each thread's strided partial, then a halving tree.
// Every thread gets the result.
__device__ float block_sum(float value) {
  __shared__ float partial[kReduceThreads];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const float total = partial[0];
  __syncthreads();  // the buffer may be reused right after
  return total;
}

// terms (G,B); grid (B, G), kReduceThreads threads.
template <ContrastiveKind kind>
__global__ void contrastive_loss_rows_kernel(float* terms, const float* s, const float* d,
                                             const uint8_t* roles, int64_t B, float eps_w) {
  const int64_t row = blockIdx.y * B + blockIdx.x;  // g*B + i
  float t = 0.f;
  for (int64_t j = threadIdx.x; j < B; j += kReduceThreads) {
    const int64_t ij = row * B + j;
    const MineRole role = static_cast<MineRole>(roles[ij]);
    if (role == MineRole::Negative) {
      t += kind == ContrastiveKind::CL ? logf(s[ij]) : logf(s[ij] * (d[ij] + eps_w));
    } else if (role == MineRole::Positive) {
      t -= kind == ContrastiveKind::CL ? logf(s[ij]) : logf(s[ij]) / (d[ij] + eps_w);
    }
  }
  t = block_sum(t);
  if (threadIdx.x == 0) terms[row] = t;
}

// loss (G) = (1/B) sum_i terms; grid G, kReduceThreads threads.
__global__ void contrastive_loss_sum_kernel(float* loss, const float* terms, int64_t B) {
  const int64_t g = blockIdx.x;
  float sum = 0.f;
  for (int64_t i = threadIdx.x; i < B; i += kReduceThreads) sum += terms[g * B + i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) loss[g] = sum / static_cast<float>(B);
}

template <ContrastiveKind kind>
__global__ void contrastive_loss_backward_kernel(float* ds, const float* dloss, const float* s,
                                                 const float* d, const uint8_t* roles, int64_t G,
                                                 int64_t B, float eps_w) {
  const int64_t n = G * B * B;
  for (int64_t ij = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; ij < n;
       ij += (int64_t)gridDim.x * blockDim.x) {
    const float scale = dloss[ij / (B * B)] / static_cast<float>(B);
    ds[ij] = contrastive_loss_pair_grad(static_cast<MineRole>(roles[ij]), scale, s[ij], d[ij], kind,
                                        eps_w);
  }
}

}  // namespace

void contrastive_loss_forward_cuda(float* loss, float* terms, const float* s, const float* d,
                                   const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                   float eps_w, cudaStream_t stream) {
  if (G == 0) return;
  LEARNER_CHECK(G <= 65535 && B >= 1,
                "contrastive_loss: need 1 <= G <= 65535 and B >= 1, got G = ", G, ", B = ", B);
  const dim3 rows(static_cast<unsigned>(B), static_cast<unsigned>(G));
  if (kind == ContrastiveKind::CL) {
    contrastive_loss_rows_kernel<ContrastiveKind::CL>
        <<<rows, kReduceThreads, 0, stream>>>(terms, s, d, roles, B, eps_w);
  } else {
    contrastive_loss_rows_kernel<ContrastiveKind::WCL>
        <<<rows, kReduceThreads, 0, stream>>>(terms, s, d, roles, B, eps_w);
  }
  CUDA_CHECK_LAUNCH();
  contrastive_loss_sum_kernel<<<static_cast<unsigned>(G), kReduceThreads, 0, stream>>>(loss, terms,
                                                                                       B);
  CUDA_CHECK_LAUNCH();
}

void contrastive_loss_backward_cuda(float* ds, const float* dloss, const float* s, const float* d,
                                    const uint8_t* roles, int64_t G, int64_t B,
                                    ContrastiveKind kind, float eps_w, cudaStream_t stream) {
  const int64_t n = G * B * B;
  if (n == 0) return;
  if (kind == ContrastiveKind::CL) {
    contrastive_loss_backward_kernel<ContrastiveKind::CL>
        <<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(ds, dloss, s, d, roles, G, B, eps_w);
  } else {
    contrastive_loss_backward_kernel<ContrastiveKind::WCL>
        <<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(ds, dloss, s, d, roles, G, B, eps_w);
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
