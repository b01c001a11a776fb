// CPU reference of the SyncBatchNorm2d kernels (see sync_batchnorm_kernels.h): plain loops,
// double sums in scan order; channels run in parallel, each writing only its own outputs.
#include "dist/sync_batchnorm_kernels.h"

#include <cmath>

namespace learner {

namespace {

void split(double v, float* pair) {
  pair[0] = static_cast<float>(v);
  pair[1] = static_cast<float>(v - static_cast<double>(pair[0]));
}

double join(const float* pair) { return static_cast<double>(pair[0]) + pair[1]; }

}  // namespace

void sync_batchnorm_local_stats_cpu(float* stats, const float* x, int64_t N, int64_t C,
                                    int64_t HW) {
  const int64_t M = N * HW;
#pragma omp parallel for
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float* plane = x + (n * C + c) * HW;
      for (int64_t i = 0; i < HW; ++i) sum += plane[i];
    }
    const double mu = M > 0 ? sum / static_cast<double>(M) : 0.0;
    double m2 = 0;  // two passes: the centred sum does not cancel catastrophically
    for (int64_t n = 0; n < N; ++n) {
      const float* plane = x + (n * C + c) * HW;
      for (int64_t i = 0; i < HW; ++i) {
        const double d = plane[i] - mu;
        m2 += d * d;
      }
    }
    float* s = stats + c * kSyncBnStatsWidth;
    split(static_cast<double>(M), s);
    split(mu, s + 2);
    split(m2, s + 4);
  }
}

void sync_batchnorm_combine_cpu(float* mean, float* invstd, float* total, float* running_mean,
                                float* running_var, const float* gathered, int64_t R, int64_t C,
                                float momentum, float eps) {
  for (int64_t c = 0; c < C; ++c) {
    double n = 0, mu = 0, m2 = 0;
    for (int64_t r = 0; r < R; ++r) {
      const float* s = gathered + (r * C + c) * kSyncBnStatsWidth;
      const double n_b = join(s), mu_b = join(s + 2), m2_b = join(s + 4);
      if (n_b == 0) continue;
      const double n_ab = n + n_b, delta = mu_b - mu;
      mu += delta * n_b / n_ab;
      m2 += m2_b + delta * delta * n * n_b / n_ab;
      n = n_ab;
    }
    mean[c] = static_cast<float>(mu);
    invstd[c] = static_cast<float>(1.0 / std::sqrt(m2 / n + static_cast<double>(eps)));
    total[c] = static_cast<float>(n);
    const double m = momentum;
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mu);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * (m2 / (n - 1)));
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
