// CPU reference for BatchNorm2d (see batchnorm.h): plain loops, double sums in scan order.
// Channels (or (n, c) planes) run in parallel; each writes only its own outputs.
#include "kernels/batchnorm.h"
#include "kernels/channel_moments.h"

#include <cmath>

namespace learner {

void batchnorm_stats_cpu(float* mean, float* invstd, float* running_mean, float* running_var,
                         const float* x, int64_t N, int64_t C, int64_t HW, float momentum,
                         float eps) {
  const int64_t M = N * HW;
#pragma omp parallel for
  for (int64_t c = 0; c < C; ++c) {
    const ChannelMoments moments = channel_moments_cpu(x, N, C, HW, c);
    const double mu = moments.mean, sq = moments.m2;
    const double var = sq / static_cast<double>(M);
    const double unbiased = sq / static_cast<double>(M - 1);
    mean[c] = static_cast<float>(mu);
    invstd[c] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const double m = momentum;
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mu);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * unbiased);
  }
}

void batchnorm_eval_invstd_cpu(float* invstd, const float* running_var, int64_t C, float eps) {
  for (int64_t c = 0; c < C; ++c) invstd[c] = 1.f / std::sqrt(running_var[c] + eps);
}

void batchnorm_apply_cpu(float* y, const float* x, const float* mean, const float* invstd,
                         const float* weight, const float* bias, int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const float mu = mean[c], is = invstd[c], w = weight[c], b = bias[c];
    const float* xp = x + p * HW;
    float* yp = y + p * HW;
    for (int64_t i = 0; i < HW; ++i) yp[i] = (xp[i] - mu) * is * w + b;
  }
}

void batchnorm_backward_reduce_cpu(float* dweight, float* dbias, const float* dy, const float* x,
                                   const float* mean, const float* invstd, int64_t N, int64_t C,
                                   int64_t HW) {
#pragma omp parallel for
  for (int64_t c = 0; c < C; ++c) {
    const double mu = mean[c], is = invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < N; ++n) {
      const int64_t off = (n * C + c) * HW;
      for (int64_t i = 0; i < HW; ++i) {
        const double g = dy[off + i];
        sum_dy += g;
        sum_dy_xhat += g * (x[off + i] - mu) * is;
      }
    }
    dweight[c] = static_cast<float>(sum_dy_xhat);
    dbias[c] = static_cast<float>(sum_dy);
  }
}

void batchnorm_backward_train_cpu(float* dx, const float* dy, const float* x, const float* mean,
                                  const float* invstd, const float* weight, const float* dweight,
                                  const float* dbias, int64_t N, int64_t C, int64_t HW) {
  const float inv_m = 1.f / static_cast<float>(N * HW);
#pragma omp parallel for
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const float mu = mean[c], is = invstd[c];
    const float k = weight[c] * is;
    const float mean_dy = dbias[c] * inv_m;
    const float mean_dy_xhat = dweight[c] * inv_m;
    const int64_t off = p * HW;
    for (int64_t i = 0; i < HW; ++i) {
      const float xhat = (x[off + i] - mu) * is;
      dx[off + i] = k * (dy[off + i] - mean_dy - xhat * mean_dy_xhat);
    }
  }
}

void batchnorm_backward_eval_cpu(float* dx, const float* dy, const float* invstd,
                                 const float* weight, int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const float k = weight[c] * invstd[c];
    const int64_t off = p * HW;
    for (int64_t i = 0; i < HW; ++i) dx[off + i] = k * dy[off + i];
  }
}

}  // namespace learner
