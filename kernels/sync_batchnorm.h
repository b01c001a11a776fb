// Kernels of SyncBatchNorm2d (parallel/sync_batchnorm.h) over (N, C, H, W) f32 tensors, HW = H*W.
// Math, per channel c, over all ranks' values (M = sum_r M_r, M_r = N_r * HW):
//   local stats: count M_r, mean_r, M2_r = sum (x - mean_r)^2, in double, stored as (hi, lo)
//                f32 pairs (hi + lo carries ~48 bits) so that all_gather moves them exactly.
//   combine:     Chan et al.'s pairwise update in rank order 0..R-1, in double:
//                  n = n_a + n_b, delta = mean_b - mean_a, mean = mean_a + delta * n_b / n,
//                  M2 = M2_a + M2_b + delta^2 n_a n_b / n;
//                invstd = 1 / sqrt(M2 / M + eps) (biased); running statistics move towards
//                mean and the UNBIASED M2 / (M - 1) with weight momentum (PyTorch's rule).
//   backward dx: dx = weight * invstd * (dy - sum_dy / M - xhat * sum_dy_xhat / M), where the
//                sums run over all ranks (all-reduced by the caller).
// Every kernel overwrites its outputs; the running statistics are the one in-place update.
// Sums run in a fixed order, so results repeat to the bit.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

constexpr int kSyncBnStatsWidth = 6;  // count, mean, M2, each as (hi, lo)

// stats (C, 6); x (N, C, H, W).
void sync_batchnorm_local_stats_cpu(float* stats, const float* x, int64_t N, int64_t C,
                                    int64_t HW);
// mean, invstd, total (C); running_mean, running_var (C) updated in place; gathered (R, C, 6).
void sync_batchnorm_combine_cpu(float* mean, float* invstd, float* total, float* running_mean,
                                float* running_var, const float* gathered, int64_t R, int64_t C,
                                float momentum, float eps);
// dx, dy, x (N, C, H, W); mean, invstd, weight, total (C); sums (2, C): [sum dy * xhat; sum dy]
// over all ranks.
void sync_batchnorm_backward_dx_cpu(float* dx, const float* dy, const float* x,
                                    const float* mean, const float* invstd, const float* weight,
                                    const float* sums, const float* total, int64_t N, int64_t C,
                                    int64_t HW);

void sync_batchnorm_local_stats_cuda(float* stats, const float* x, int64_t N, int64_t C,
                                     int64_t HW, cudaStream_t stream);
void sync_batchnorm_combine_cuda(float* mean, float* invstd, float* total, float* running_mean,
                                 float* running_var, const float* gathered, int64_t R, int64_t C,
                                 float momentum, float eps, cudaStream_t stream);
void sync_batchnorm_backward_dx_cuda(float* dx, const float* dy, const float* x,
                                     const float* mean, const float* invstd, const float* weight,
                                     const float* sums, const float* total, int64_t N, int64_t C,
                                     int64_t HW, cudaStream_t stream);

}  // namespace learner
