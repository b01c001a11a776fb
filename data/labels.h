// Scores to training targets, categories and pair labels (SPEC section 2), and the pairs of
// consecutive scans of each patient that stage 2 trains and evaluates on.
#pragma once

#include <cstddef>
#include <vector>

#include "data/clip_store.h"

namespace learner::data {

enum class PairLabel { Improved = 0, Same = 1, Deteriorated = 2 };
const char* pair_label_name(PairLabel label);  // "improved", "same", "deteriorated"

// y = (HS - lo) / (hi - lo).
float normalized_target(float score, const ScoreSpec& spec);

// The number of edges that are <= score (0 .. edges.size()).
int score_category(float score, const ScoreSpec& spec);

// Label for scan a followed by scan b of one patient: band mode when spec.band >= 0, else
// category mode; "better" follows spec.higher_is_better.
PairLabel pair_label(float score_a, float score_b, const ScoreSpec& spec);

struct ScanPair {
  size_t first = 0, second = 0;  // indices into the scan list; first comes before second
  PairLabel label = PairLabel::Same;
};

// Consecutive scans (1->2, 2->3, ...) of each patient, among the scans of `split` only.
// Ordered by patient id, then scan order, so the result does not depend on the list's order.
// Throws learner::Error when two scans of one patient share an order.
std::vector<ScanPair> consecutive_pairs(const std::vector<ScanRecord>& scans, Split split,
                                        const ScoreSpec& spec);

// Checks a spec: lo < hi, finite values, edges strictly increasing; names the problem.
void validate_score_spec(const ScoreSpec& spec);

}  // namespace learner::data
