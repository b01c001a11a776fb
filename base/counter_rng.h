// A counter-based random number generator (SplitMix64 finaliser over seed and counter):
// value i of stream `seed` is a pure function of (seed, i), so the CPU and CUDA draw the
// same numbers in any order or thread layout. Usable in host and device code.
#pragma once

#include <cstdint>

#include "base/host_device.h"

namespace learner {

LEARNER_HD uint64_t counter_rng_u64(uint64_t seed, uint64_t counter) {
  uint64_t z = seed + (counter + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 24 random bits: exactly representable in f32.
LEARNER_HD float counter_rng_uniform(uint64_t seed, uint64_t counter) {
  return static_cast<float>(counter_rng_u64(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace learner
