// The per-channel statistics both BatchNorm CPU references start from (kernels/batchnorm.cpp,
// kernels/sync_batchnorm.cpp): the mean and the centred sum of squares of one channel of an
// (N, C, HW) tensor, in double, in scan order.
#pragma once

#include <cstdint>

namespace learner {

struct ChannelMoments {
  double mean = 0;  // 0 for an empty channel
  double m2 = 0;    // sum of (x - mean)^2
};

inline ChannelMoments channel_moments_cpu(const float* x, int64_t N, int64_t C, int64_t HW, int64_t c) {
  const int64_t M = N * HW;
  double sum = 0;
  for (int64_t n = 0; n < N; ++n) {
    const float* plane = x + (n * C + c) * HW;
    for (int64_t i = 0; i < HW; ++i) sum += plane[i];
  }
  ChannelMoments m;
  m.mean = M > 0 ? sum / static_cast<double>(M) : 0.0;
  // Two passes: the centred sum of squares does not cancel catastrophically.
  for (int64_t n = 0; n < N; ++n) {
    const float* plane = x + (n * C + c) * HW;
    for (int64_t i = 0; i < HW; ++i) {
      const double d = plane[i] - m.mean;
      m.m2 += d * d;
    }
  }
  return m;
}

}  // namespace learner
