// TSN segment sampling (SPEC section 7): which T of a clip's F frames the network sees.
// Also the seed derivation that makes every random choice of the loader a pure function of
// (seed, epoch, position), whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "framework/random.h"

namespace learner::data {

enum class Sampling {
  Train,  // a uniformly random index inside each segment (the segment start when empty)
  Eval,   // the segment centre floor((t + 0.5) * F / T)
};

// Segment t of a clip of F frames cut into T segments is [floor(t*F/T), floor((t+1)*F/T)).
int64_t tsn_segment_begin(int64_t frames, int64_t segments, int64_t t);

// The T frame indices of a clip of `frames` frames, in time order; each in [0, frames).
// `gen` is used (T draws at most) only in Train mode. Throws when frames < 1 or T < 1.
std::vector<int64_t> tsn_indices(int64_t frames, int T, Sampling mode, Generator* gen = nullptr);

// A seed for stream (a, b) of `seed` (e.g. (epoch, position)): SplitMix64 applied twice, so
// neighbouring a or b give unrelated streams.
uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b);

}  // namespace learner::data
