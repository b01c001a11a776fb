// Targets, categories and pair labels of SPEC section 2; consecutive pairs within a split.
#include <doctest/doctest.h>

#include "data/labels.h"
#include "base/error.h"

using namespace learner;
using namespace learner::data;

namespace {
ScanRecord scan(const char* patient, const char* id, int order, float score, Split split = Split::Train) {
  ScanRecord r;
  r.patient_id = patient;
  r.scan_id = id;
  r.order = order;
  r.score = score;
  r.split = split;
  return r;
}
}  // namespace

TEST_CASE("targets and categories follow the lung ultrasound S/F defaults") {
  const ScoreSpec spec;  // lo 0, hi 500, edges 180, 275, 430
  CHECK(normalized_target(250.f, spec) == doctest::Approx(0.5));
  CHECK(normalized_target(0.f, spec) == 0.f);
  CHECK(score_category(179.9f, spec) == 0);
  CHECK(score_category(180.f, spec) == 1);  // an edge belongs to the category above it
  CHECK(score_category(274.f, spec) == 1);
  CHECK(score_category(275.f, spec) == 2);
  CHECK(score_category(430.f, spec) == 3);
  CHECK(score_category(499.f, spec) == 3);
  ScoreSpec mmse;
  mmse.lo = 0.f;
  mmse.hi = 30.f;
  mmse.edges = {};
  CHECK(normalized_target(27.f, mmse) == doctest::Approx(0.9));
  CHECK(score_category(27.f, mmse) == 0);
}

TEST_CASE("pair labels in category mode follow higher-is-better") {
  ScoreSpec spec;
  CHECK(pair_label(150.f, 200.f, spec) == PairLabel::Improved);
  CHECK(pair_label(200.f, 270.f, spec) == PairLabel::Same);  // same category, different score
  CHECK(pair_label(440.f, 300.f, spec) == PairLabel::Deteriorated);
  CHECK(pair_label(100.f, 470.f, spec) == PairLabel::Improved);
  spec.higher_is_better = false;
  CHECK(pair_label(150.f, 200.f, spec) == PairLabel::Deteriorated);
  CHECK(pair_label(440.f, 300.f, spec) == PairLabel::Improved);
  CHECK(pair_label(200.f, 270.f, spec) == PairLabel::Same);
  CHECK(std::string(pair_label_name(PairLabel::Deteriorated)) == "deteriorated");
}

TEST_CASE("pair labels in band mode use the size and sign of the change") {
  ScoreSpec spec;
  spec.lo = 0.f;
  spec.hi = 30.f;
  spec.edges = {};
  spec.band = 2.f;
  CHECK(pair_label(25.f, 27.f, spec) == PairLabel::Same);  // |change| == band is same
  CHECK(pair_label(25.f, 23.f, spec) == PairLabel::Same);
  CHECK(pair_label(25.f, 27.5f, spec) == PairLabel::Improved);
  CHECK(pair_label(25.f, 22.5f, spec) == PairLabel::Deteriorated);
  spec.higher_is_better = false;
  CHECK(pair_label(25.f, 27.5f, spec) == PairLabel::Deteriorated);
  CHECK(pair_label(25.f, 22.5f, spec) == PairLabel::Improved);
  spec.band = 0.f;
  CHECK(pair_label(25.f, 25.f, spec) == PairLabel::Same);
  CHECK(pair_label(25.f, 25.5f, spec) == PairLabel::Deteriorated);
}

TEST_CASE("consecutive pairs stay within one patient and one split, in scan order") {
  const ScoreSpec spec;
  const std::vector<ScanRecord> scans = {
      scan("p2", "p2-b", 2, 300.f), scan("p1", "p1-c", 3, 100.f), scan("p1", "p1-a", 1, 200.f),
      scan("p3", "p3-a", 1, 200.f, Split::Test), scan("p1", "p1-b", 2, 450.f), scan("p2", "p2-a", 1, 300.f),
      scan("p3", "p3-b", 2, 100.f, Split::Test), scan("p4", "p4-a", 1, 100.f)};
  const std::vector<ScanPair> pairs = consecutive_pairs(scans, Split::Train, spec);
  REQUIRE(pairs.size() == 3);
  CHECK(scans[pairs[0].first].scan_id == "p1-a");
  CHECK(scans[pairs[0].second].scan_id == "p1-b");
  CHECK(pairs[0].label == PairLabel::Improved);
  CHECK(scans[pairs[1].first].scan_id == "p1-b");
  CHECK(scans[pairs[1].second].scan_id == "p1-c");
  CHECK(pairs[1].label == PairLabel::Deteriorated);
  CHECK(scans[pairs[2].first].scan_id == "p2-a");
  CHECK(pairs[2].label == PairLabel::Same);
  const std::vector<ScanPair> test_pairs = consecutive_pairs(scans, Split::Test, spec);
  REQUIRE(test_pairs.size() == 1);
  CHECK(test_pairs[0].label == PairLabel::Deteriorated);
  CHECK(consecutive_pairs(scans, Split::Val, spec).empty());
}

TEST_CASE("pairs and score specs reject ambiguous input") {
  const std::vector<ScanRecord> scans = {scan("p1", "a", 1, 100.f), scan("p1", "b", 1, 200.f)};
  CHECK_THROWS_WITH_AS(consecutive_pairs(scans, Split::Train, ScoreSpec()),
                       doctest::Contains("patient 'p1' has two scans with order 1"), Error);
  ScoreSpec spec;
  spec.edges = {275.f, 180.f};
  CHECK_THROWS_WITH_AS(validate_score_spec(spec), doctest::Contains("strictly increasing"), Error);
  spec = ScoreSpec();
  spec.hi = spec.lo;
  CHECK_THROWS_WITH_AS(validate_score_spec(spec), doctest::Contains("lo < hi"), Error);
}
