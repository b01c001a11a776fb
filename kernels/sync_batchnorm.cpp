// CPU reference of the SyncBatchNorm2d kernels (see kernels/sync_batchnorm.h): plain loops,
// double sums in scan order; channels run in parallel, each writing only its own outputs.
#include "kernels/sync_batchnorm.h"
#include "kernels/channel_moments.h"
#include "kernels/sync_batchnorm_combine.h"

#include <cmath>

namespace learner {

void sync_batchnorm_local_stats_cpu(float* stats, const float* x, int64_t N, int64_t C,
                                    int64_t HW) {
  const int64_t M = N * HW;
#pragma omp parallel for
  for (int64_t c = 0; c < C; ++c) {
    const ChannelMoments moments = channel_moments_cpu(x, N, C, HW, c);
    float* s = stats + c * kSyncBnStatsWidth;
    split_double(static_cast<double>(M), s);
    split_double(moments.mean, s + 2);
    split_double(moments.m2, s + 4);
  }
}

void sync_batchnorm_combine_cpu(float* mean, float* invstd, float* total, float* running_mean,
                                float* running_var, const float* gathered, int64_t R, int64_t C,
                                float momentum, float eps) {
  for (int64_t c = 0; c < C; ++c) {
    sync_batchnorm_combine_channel(c, mean, invstd, total, running_mean, running_var, gathered, R, C, momentum,
                                   eps);
  }
}

void sync_batchnorm_backward_dx_cpu(float* dx, const float* dy, const float* x,
                                    const float* mean, const float* invstd, const float* weight,
                                    const float* sums, const float* total, int64_t N, int64_t C,
                                    int64_t HW) {
#pragma omp parallel for
  for (int64_t p = 0; p < N * C; ++p) {
    const int64_t c = p % C;
    const float mu = mean[c], is = invstd[c];
    const float k = weight[c] * is;
    const float inv_m = 1.f / total[c];
    const float mean_dy = sums[C + c] * inv_m;
    const float mean_dy_xhat = sums[c] * inv_m;
    const int64_t off = p * HW;
    for (int64_t i = 0; i < HW; ++i) {
      const float xhat = (x[off + i] - mu) * is;
      dx[off + i] = k * (dy[off + i] - mean_dy - xhat * mean_dy_xhat);
    }
  }
}

}  // namespace learner
