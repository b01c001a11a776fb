// Patient-level deterministic splits (SPEC section 3): every scan of a patient lands in one
// split, and the assignment depends only on the set of patient ids and the seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/clip_store.h"

namespace learner::data {

struct SplitFractions {
  double train = 0.55, val = 0.25, test = 0.20;
};

// Checks that each fraction is in [0, 1] and that they sum to 1 (within 1e-6).
void validate_split_fractions(const SplitFractions& fractions);

// The 64-bit key that orders patients: splitmix64(fnv1a64(id) ^ splitmix64(seed)).
uint64_t patient_split_key(const std::string& patient_id, uint64_t seed);

// Sorts the unique ids by (key, id), gives the first round(train * n) to train, the next
// round(val * n) to val and the rest to test. Duplicates in `patient_ids` are ignored.
std::map<std::string, Split> split_patients(const std::vector<std::string>& patient_ids,
                                            const SplitFractions& fractions, uint64_t seed);

}  // namespace learner::data
