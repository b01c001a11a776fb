// The per-channel arithmetic of SyncBatchNorm2d shared by the CPU reference and the CUDA
// kernels: statistics travel as (hi, lo) float pairs of a double, and the ranks' (count,
// mean, M2) are merged in rank order with Chan's parallel update, so both devices combine
// the same way to the bit of the doubles.
#pragma once

#include <cmath>
#include <cstdint>

#include "base/host_device.h"
#include "kernels/sync_batchnorm.h"

namespace learner {

// A double as two floats whose sum restores it (to about 48 bits).
LEARNER_HD void split_double(double v, float* pair) {
  pair[0] = static_cast<float>(v);
  pair[1] = static_cast<float>(v - static_cast<double>(pair[0]));
}

LEARNER_HD double join_double(const float* pair) { return static_cast<double>(pair[0]) + pair[1]; }

// Channel c: merges the R ranks' statistics in `gathered` (R, C, kSyncBnStatsWidth), writes
// the global mean, invstd and count, and updates the running statistics (unbiased variance).
LEARNER_HD void sync_batchnorm_combine_channel(int64_t c, float* mean, float* invstd, float* total,
                                               float* running_mean, float* running_var, const float* gathered,
                                               int64_t R, int64_t C, float momentum, float eps) {
  double n = 0, mu = 0, m2 = 0;
  for (int64_t r = 0; r < R; ++r) {
    const float* s = gathered + (r * C + c) * kSyncBnStatsWidth;
    const double n_b = join_double(s), mu_b = join_double(s + 2), m2_b = join_double(s + 4);
    if (n_b == 0) continue;
    const double n_ab = n + n_b, delta = mu_b - mu;
    mu += delta * n_b / n_ab;
    m2 += m2_b + delta * delta * n * n_b / n_ab;
    n = n_ab;
  }
  mean[c] = static_cast<float>(mu);
  invstd[c] = static_cast<float>(1.0 / sqrt(m2 / n + static_cast<double>(eps)));
  total[c] = static_cast<float>(n);
  const double m = momentum;
  running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mu);
  running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * (m2 / (n - 1)));
}

}  // namespace learner
