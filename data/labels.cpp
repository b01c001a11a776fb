// Targets, categories and pair labels of SPEC section 2; consecutive pairs per patient.
#include "data/labels.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"

namespace learner::data {

const char* pair_label_name(PairLabel label) {
  switch (label) {
    case PairLabel::Improved: return "improved";
    case PairLabel::Same: return "same";
    case PairLabel::Deteriorated: return "deteriorated";
  }
  return "?";
}

float normalized_target(float score, const ScoreSpec& spec) {
  return (score - spec.lo) / (spec.hi - spec.lo);
}

int score_category(float score, const ScoreSpec& spec) {
  int category = 0;
  for (float edge : spec.edges) category += edge <= score ? 1 : 0;
  return category;
}

PairLabel pair_label(float score_a, float score_b, const ScoreSpec& spec) {
  // `rise` > 0 when b is numerically above a, in category or score units.
  double rise = 0;
  if (spec.band >= 0.f) {
    const double change = static_cast<double>(score_b) - static_cast<double>(score_a);
    if (std::fabs(change) <= spec.band) return PairLabel::Same;
    rise = change;
  } else {
    rise = score_category(score_b, spec) - score_category(score_a, spec);
    if (rise == 0) return PairLabel::Same;
  }
  const bool better = spec.higher_is_better ? rise > 0 : rise < 0;
  return better ? PairLabel::Improved : PairLabel::Deteriorated;
}

std::vector<ScanPair> consecutive_pairs(const std::vector<ScanRecord>& scans, Split split,
                                        const ScoreSpec& spec) {
  std::vector<size_t> members;
  for (size_t i = 0; i < scans.size(); ++i) {
    if (scans[i].split == split) members.push_back(i);
  }
  std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
    if (scans[a].patient_id != scans[b].patient_id) return scans[a].patient_id < scans[b].patient_id;
    return scans[a].order < scans[b].order;
  });
  std::vector<ScanPair> pairs;
  for (size_t k = 1; k < members.size(); ++k) {
    const ScanRecord& a = scans[members[k - 1]];
    const ScanRecord& b = scans[members[k]];
    if (a.patient_id != b.patient_id) continue;
    LEARNER_CHECK(a.order != b.order, "pairs: patient '", a.patient_id, "' has two scans with order ",
                  a.order, " ('", a.scan_id, "' and '", b.scan_id,
                  "'); give each scan of a patient its own order");
    pairs.push_back({members[k - 1], members[k], pair_label(a.score, b.score, spec)});
  }
  return pairs;
}

void validate_score_spec(const ScoreSpec& spec) {
  LEARNER_CHECK(std::isfinite(spec.lo) && std::isfinite(spec.hi) && spec.lo < spec.hi,
                "score range must be finite with lo < hi, got [", spec.lo, ", ", spec.hi, "]");
  for (size_t i = 0; i < spec.edges.size(); ++i) {
    LEARNER_CHECK(std::isfinite(spec.edges[i]), "category edge ", i, " is not a finite number");
    LEARNER_CHECK(i == 0 || spec.edges[i - 1] < spec.edges[i],
                  "category edges must be strictly increasing, got ", spec.edges[i - 1], " then ",
                  spec.edges[i]);
  }
  LEARNER_CHECK(std::isfinite(spec.band), "the change band must be a finite number");
}

}  // namespace learner::data
