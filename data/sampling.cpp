// TSN segment sampling: integer arithmetic only, so the indices are exact for any F and T.
#include "data/sampling.h"

#include "base/error.h"
#include "base/counter_rng.h"

namespace learner::data {

int64_t tsn_segment_begin(int64_t frames, int64_t segments, int64_t t) {
  return t * frames / segments;  // floor for non-negative operands
}

std::vector<int64_t> tsn_indices(int64_t frames, int T, Sampling mode, Generator* gen) {
  LEARNER_CHECK(frames >= 1, "tsn_indices: a clip needs at least one frame, got ", frames);
  LEARNER_CHECK(T >= 1, "tsn_indices: T must be at least 1, got ", T);
  LEARNER_CHECK(mode == Sampling::Eval || gen != nullptr,
                "tsn_indices: training sampling needs a generator");
  std::vector<int64_t> indices(T);
  for (int64_t t = 0; t < T; ++t) {
    if (mode == Sampling::Eval) {
      // floor((t + 0.5) * F / T) == floor((2t + 1) * F / (2T)), exact in integers.
      indices[t] = (2 * t + 1) * frames / (2 * static_cast<int64_t>(T));
    } else {
      const int64_t begin = tsn_segment_begin(frames, T, t);
      const int64_t end = tsn_segment_begin(frames, T, t + 1);
      indices[t] = end > begin ? begin + gen->randint(end - begin) : begin;
    }
  }
  return indices;
}

uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b) {
  return counter_rng_u64(counter_rng_u64(seed, a), b);
}

}  // namespace learner::data
