// BatchNorm2d kernels over (N, C, H, W) f32 tensors; M = N * H * W values per channel.
// Math (per channel c; xhat = (x - mean) * invstd):
//   train stats: mean = sum(x) / M, var = sum((x - mean)^2) / M (biased),
//                invstd = 1 / sqrt(var + eps); running_mean/var move towards mean and the
//                UNBIASED variance var * M / (M - 1) with weight `momentum` (in place).
//   eval stats:  mean = running_mean, invstd = 1 / sqrt(running_var + eps).
//   apply:       y = xhat * weight + bias
//   backward:    dbias = sum(dy), dweight = sum(dy * xhat)
//                train: dx = weight * invstd * (dy - dbias / M - xhat * dweight / M)
//                eval:  dx = weight * invstd * dy   (the statistics are constants)
// Sums run in double in a fixed order (CPU: sequential per channel; CUDA: one block per
// channel with a fixed tree), so results repeat to the bit. Every kernel overwrites its
// outputs; the running statistics are the one in-place update.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// mean, invstd, running_mean, running_var are (C); x is (N, C, H, W) with HW = H * W.
void batchnorm_stats_cpu(float* mean, float* invstd, float* running_mean, float* running_var,
                         const float* x, int64_t N, int64_t C, int64_t HW, float momentum,
                         float eps);
// invstd, running_var are (C).
void batchnorm_eval_invstd_cpu(float* invstd, const float* running_var, int64_t C, float eps);
// y, x are (N, C, H, W); mean, invstd, weight, bias are (C).
void batchnorm_apply_cpu(float* y, const float* x, const float* mean, const float* invstd,
                         const float* weight, const float* bias, int64_t N, int64_t C, int64_t HW);
// dweight, dbias, mean, invstd are (C); dy, x are (N, C, H, W).
void batchnorm_backward_reduce_cpu(float* dweight, float* dbias, const float* dy, const float* x,
                                   const float* mean, const float* invstd, int64_t N, int64_t C,
                                   int64_t HW);
// dx, dy, x are (N, C, H, W); mean, invstd, weight, dweight, dbias are (C), the last two from
// batchnorm_backward_reduce.
void batchnorm_backward_train_cpu(float* dx, const float* dy, const float* x, const float* mean,
                                  const float* invstd, const float* weight, const float* dweight,
                                  const float* dbias, int64_t N, int64_t C, int64_t HW);
// dx, dy are (N, C, H, W); invstd, weight are (C).
void batchnorm_backward_eval_cpu(float* dx, const float* dy, const float* invstd,
                                 const float* weight, int64_t N, int64_t C, int64_t HW);

void batchnorm_stats_cuda(float* mean, float* invstd, float* running_mean, float* running_var,
                          const float* x, int64_t N, int64_t C, int64_t HW, float momentum,
                          float eps, cudaStream_t stream);
void batchnorm_eval_invstd_cuda(float* invstd, const float* running_var, int64_t C, float eps,
                                cudaStream_t stream);
void batchnorm_apply_cuda(float* y, const float* x, const float* mean, const float* invstd,
                          const float* weight, const float* bias, int64_t N, int64_t C, int64_t HW,
                          cudaStream_t stream);
void batchnorm_backward_reduce_cuda(float* dweight, float* dbias, const float* dy, const float* x,
                                    const float* mean, const float* invstd, int64_t N, int64_t C,
                                    int64_t HW, cudaStream_t stream);
void batchnorm_backward_train_cuda(float* dx, const float* dy, const float* x, const float* mean,
                                   const float* invstd, const float* weight, const float* dweight,
                                   const float* dbias, int64_t N, int64_t C, int64_t HW,
                                   cudaStream_t stream);
void batchnorm_backward_eval_cuda(float* dx, const float* dy, const float* invstd,
                                  const float* weight, int64_t N, int64_t C, int64_t HW,
                                  cudaStream_t stream);

}  // namespace learner
