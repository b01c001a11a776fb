// LayerNorm over the last dimension of rows (N, D), as torch.nn.LayerNorm (biased variance):
//   mean_n = (1/D) sum_j x_nj,  var_n = (1/D) sum_j (x_nj - mean_n)^2,  rstd_n = 1/sqrt(var_n + eps)
//   xhat_nj = (x_nj - mean_n) rstd_n,  y_nj = xhat_nj gamma_j + beta_j
// Backward, with g_nj = dy_nj gamma_j:
//   dx_nj = rstd_n (g_nj - mean_j(g_n.) - xhat_nj mean_j(g_n. xhat_n.))
//   dgamma_j = sum_n dy_nj xhat_nj,  dbeta_j = sum_n dy_nj
// Every output is overwritten (dgamma, dbeta too); sums run in a fixed order (the CPU in
// double, rows ascending; CUDA one warp per row for dx, one thread per column, rows
// ascending, for dgamma and dbeta), so results repeat to the bit.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// y, x (N, D); gamma, beta (D); mean, rstd (N): saved for the backward.
void layer_norm_forward_cpu(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                            const float* beta, int64_t N, int64_t D, float eps);
// dx, dy, x (N, D); dgamma, dbeta, gamma (D); mean, rstd (N). dgamma/dbeta may be null
// (not needed).
void layer_norm_backward_cpu(float* dx, float* dgamma, float* dbeta, const float* dy,
                             const float* x, const float* mean, const float* rstd,
                             const float* gamma, int64_t N, int64_t D);

void layer_norm_forward_cuda(float* y, float* mean, float* rstd, const float* x,
                             const float* gamma, const float* beta, int64_t N, int64_t D, float eps,
                             cudaStream_t stream);
void layer_norm_backward_cuda(float* dx, float* dgamma, float* dbeta, const float* dy,
                              const float* x, const float* mean, const float* rstd,
                              const float* gamma, int64_t N, int64_t D, cudaStream_t stream);

}  // namespace learner
