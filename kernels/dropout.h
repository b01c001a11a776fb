// Inverted dropout with a counter-based mask: element i is kept when
//   counter_rng_uniform(seed, first + i) >= p,
// and then scaled by scale = 1 / (1 - p); dropped elements are zero. The mask is a pure
// function of (seed, first, i), so the CPU and CUDA keep the same elements, and the backward
// recomputes it instead of storing it: dx[i] = kept(i) ? scale * dy[i] : 0.
// The same kernel serves both directions (out = mask * scale * in). Overwrites `out`.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

void dropout_cpu(float* out, const float* in, int64_t n, float p, float scale, uint64_t seed,
                 uint64_t first);
void dropout_cuda(float* out, const float* in, int64_t n, float p, float scale, uint64_t seed,
                  uint64_t first, cudaStream_t stream);

}  // namespace learner
