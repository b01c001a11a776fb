// Baselines, percentiles and the patient bootstrap against hand-computed cases; the paired
// comparison's sign and verdict; class weights of the pair classifier.
#include <algorithm>
#include <map>

#include "tests/util/test_util.h"
#include "train/metrics.h"
#include "train/stage2.h"
#include "train/stats.h"

using namespace learner;
using namespace learner::train;

namespace {

PairOutcomes outcomes(const std::vector<std::string>& patients, const std::vector<int64_t>& labels,
                      const std::vector<int64_t>& predictions) {
  PairOutcomes o;
  for (size_t i = 0; i < patients.size(); ++i) o.pairs.push_back({patients[i], labels[i], predictions[i]});
  return o;
}

}  // namespace

TEST_CASE("baselines on a known label vector") {
  // Test labels: p = (0.2, 0.6, 0.2). Training prior equal to it.
  const std::vector<int64_t> labels = {1, 1, 1, 0, 2};
  const Baselines same = compute_baselines(labels, {2, 6, 2}, 3);
  CHECK(same.majority_class == 1);
  CHECK(same.majority_accuracy == doctest::Approx(0.6));
  CHECK(same.majority_macro_f1 == doctest::Approx(0.25));  // F1 of 'same' 2 * 0.6 / 1.6 = 0.75, over 3
  CHECK(same.stratified_accuracy == doctest::Approx(0.44));  // 0.04 + 0.36 + 0.04
  CHECK(same.stratified_macro_f1 == doctest::Approx(1.0 / 3));  // F1_c = p_c when q = p
  // The majority baseline is what classification_report gives for the constant prediction.
  CHECK(same.majority_macro_f1 == doctest::Approx(classification_report(labels, {1, 1, 1, 1, 1}).macro_f1));

  // A training prior q = (0.6, 0.2, 0.2) that differs from the test's: the majority is 'improved'.
  const Baselines shifted = compute_baselines(labels, {6, 2, 2}, 3);
  CHECK(shifted.majority_class == 0);
  CHECK(shifted.majority_accuracy == doctest::Approx(0.2));
  CHECK(shifted.majority_macro_f1 == doctest::Approx(1.0 / 9));  // 2 * 0.2 / 1.2 = 1/3, over 3
  CHECK(shifted.stratified_accuracy == doctest::Approx(0.28));  // 0.12 + 0.12 + 0.04
  CHECK(shifted.stratified_macro_f1 == doctest::Approx(0.8 / 3));  // (0.3 + 0.3 + 0.2) / 3

  // No training prior: the test's own frequencies; ties go to the lower class.
  const Baselines tie = compute_baselines({0, 2, 2, 0}, {}, 3);
  CHECK(tie.majority_class == 0);
  CHECK(tie.majority_accuracy == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(compute_baselines({}, {}, 3), doctest::Contains("no test labels"), Error);
  CHECK_THROWS_WITH_AS(compute_baselines({0}, {1, 2}, 3), doctest::Contains("2 classes, expected 3"), Error);
}

TEST_CASE("percentile: linear between order statistics") {
  const std::vector<double> v = {1, 2, 3, 4};
  CHECK(percentile(v, 0) == 1);
  CHECK(percentile(v, 1) == 4);
  CHECK(percentile(v, 0.5) == doctest::Approx(2.5));
  CHECK(percentile(v, 0.025) == doctest::Approx(1.075));  // h = 0.075
  CHECK(percentile({7}, 0.975) == 7);
}

TEST_CASE("bootstrap draws are fixed by the seed") {
  const auto a = bootstrap_draws(5, 40, 3), b = bootstrap_draws(5, 40, 3), c = bootstrap_draws(5, 40, 4);
  CHECK(a == b);
  CHECK(a != c);
  REQUIRE(a.size() == 40);
  for (const auto& row : a) {
    REQUIRE(row.size() == 5);
    for (const int64_t p : row) CHECK((p >= 0 && p < 5));
  }
}

TEST_CASE("bootstrap over patients: two patients, one always right, one always wrong") {
  // A resample is AA (accuracy 1), AB or BA (1/2) or BB (0): about a quarter each way, so
  // with 2000 resamples the 2.5 % and 97.5 % points are exactly 0 and 1.
  const PairOutcomes o =
      outcomes({"A", "A", "A", "A", "B", "B", "B", "B"}, {1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0, 0});
  const MetricIntervals m = bootstrap_intervals(o);
  CHECK(m.num_patients == 2);
  CHECK(m.num_pairs == 8);
  CHECK(m.accuracy == doctest::Approx(0.5));
  CHECK(m.accuracy_ci.lo == 0);
  CHECK(m.accuracy_ci.hi == 1);
  // Pairs resampled one by one would give a narrower interval: the patient is the unit.
  const PairOutcomes by_pair =
      outcomes({"A", "B", "C", "D", "E", "F", "G", "H"}, {1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0, 0});
  const MetricIntervals p = bootstrap_intervals(by_pair);
  CHECK(p.accuracy_ci.hi - p.accuracy_ci.lo < m.accuracy_ci.hi - m.accuracy_ci.lo);
  // Perfect predictions: every resample is all right, but a resample of A alone holds one
  // class of three, and absent classes count F1 0 in the macro mean (SPEC section 9): 1/3.
  const MetricIntervals perfect = bootstrap_intervals(outcomes({"A", "B", "B"}, {0, 2, 1}, {0, 2, 1}));
  CHECK(perfect.macro_f1 == 1);
  CHECK(perfect.macro_f1_ci.lo == doctest::Approx(1.0 / 3));
  CHECK(perfect.macro_f1_ci.hi == 1);
  CHECK(perfect.accuracy_ci.lo == 1);
  CHECK(perfect.accuracy_ci.hi == 1);
}

TEST_CASE("bootstrap intervals equal a by-hand recomputation from the same draws") {
  // Three patients with 1, 2 and 3 pairs; 9 resamples, seed 5.
  const std::vector<std::string> patients = {"P2", "P1", "P1", "P3", "P3", "P3"};
  const std::vector<int64_t> labels = {0, 1, 2, 1, 1, 0};
  const std::vector<int64_t> predictions = {0, 1, 1, 1, 2, 0};
  BootstrapOptions options;
  options.resamples = 9;
  options.seed = 5;
  const MetricIntervals m = bootstrap_intervals(outcomes(patients, labels, predictions), options);
  // Patients in sorted order of id: P1, P2, P3.
  const std::map<int64_t, std::string> id = {{0, "P1"}, {1, "P2"}, {2, "P3"}};
  std::vector<double> acc, f1, f1_same;
  for (const auto& draw : bootstrap_draws(3, 9, 5)) {
    std::vector<int64_t> l, p;
    for (const int64_t d : draw)
      for (size_t i = 0; i < patients.size(); ++i)
        if (patients[i] == id.at(d)) {
          l.push_back(labels[i]);
          p.push_back(predictions[i]);
        }
    const ClassificationReport r = classification_report(l, p);
    acc.push_back(r.accuracy);
    f1.push_back(r.macro_f1);
    f1_same.push_back(r.f1[1]);
  }
  std::sort(acc.begin(), acc.end());
  std::sort(f1.begin(), f1.end());
  std::sort(f1_same.begin(), f1_same.end());
  CHECK(m.accuracy_ci.lo == doctest::Approx(percentile(acc, 0.025)));
  CHECK(m.accuracy_ci.hi == doctest::Approx(percentile(acc, 0.975)));
  CHECK(m.macro_f1_ci.lo == doctest::Approx(percentile(f1, 0.025)));
  CHECK(m.macro_f1_ci.hi == doctest::Approx(percentile(f1, 0.975)));
  CHECK(m.f1_ci[1].lo == doctest::Approx(percentile(f1_same, 0.025)));
  CHECK(m.f1_ci[1].hi == doctest::Approx(percentile(f1_same, 0.975)));
  const ClassificationReport all = classification_report(labels, predictions);
  CHECK(m.accuracy == doctest::Approx(all.accuracy));
  CHECK(m.macro_f1 == doctest::Approx(all.macro_f1));
  // The order of the pairs does not matter.
  const MetricIntervals reversed = bootstrap_intervals(
      outcomes({patients.rbegin(), patients.rend()}, {labels.rbegin(), labels.rend()},
               {predictions.rbegin(), predictions.rend()}),
      options);
  CHECK(reversed.macro_f1_ci.lo == m.macro_f1_ci.lo);
  CHECK(reversed.macro_f1_ci.hi == m.macro_f1_ci.hi);
}

TEST_CASE("paired difference: sign, interval and verdict") {
  const std::vector<std::string> patients = {"A", "A", "B", "C", "C"};
  const std::vector<int64_t> labels = {0, 1, 2, 1, 1};
  const PairOutcomes right = outcomes(patients, labels, labels);
  const PairOutcomes wrong = outcomes(patients, labels, {1, 2, 0, 0, 0});
  const PairedDifference up = paired_difference(right, wrong, "right", "wrong");
  CHECK(up.macro_f1 == doctest::Approx(1.0));
  CHECK(up.accuracy == doctest::Approx(1.0));
  CHECK(up.accuracy_ci.lo == doctest::Approx(1.0));  // every resample: 1 - 0
  // 'wrong' never hits, so its F1 is 0 in every resample; 'right' scores 1/3 on a resample of
  // C alone (one class of three; drawn with probability 1/27 > 2.5 %), more otherwise.
  CHECK(up.macro_f1_shown);
  CHECK(verdict_line(up) ==
        "right - wrong: macro F1 +1.000 [+0.333, +1.000], shown (higher); accuracy +100.0 [+100.0, +100.0] points, "
        "shown (higher)");
  const PairedDifference down = paired_difference(wrong, right, "wrong", "right");
  CHECK(down.macro_f1 == doctest::Approx(-1.0));
  CHECK(down.macro_f1_ci.hi < 0);
  CHECK(verdict_line(down).find("shown (lower)") != std::string::npos);
  const PairedDifference none = paired_difference(right, right, "x", "y");
  CHECK(none.macro_f1 == 0);
  CHECK(none.macro_f1_ci.lo == 0);
  CHECK(none.macro_f1_ci.hi == 0);
  CHECK_FALSE(none.macro_f1_shown);
  CHECK(verdict_line(none) ==
        "x - y: macro F1 +0.000 [+0.000, +0.000], not shown; accuracy +0.0 [+0.0, +0.0] points, not shown");

  // Patient A right in group 1 only, B right in group 2 only: the difference depends on which
  // patients are drawn, so the interval straddles 0.
  const PairOutcomes g1 = outcomes({"A", "B"}, {1, 1}, {1, 0});
  const PairOutcomes g2 = outcomes({"A", "B"}, {1, 1}, {0, 1});
  const PairedDifference mixed = paired_difference(g1, g2, "g1", "g2");
  CHECK(mixed.accuracy == 0);
  CHECK(mixed.accuracy_ci.lo == doctest::Approx(-1.0));
  CHECK(mixed.accuracy_ci.hi == doctest::Approx(1.0));
  CHECK_FALSE(mixed.accuracy_shown);

  // Seeds pooled: two runs of one group are one longer list of the same patients.
  PairOutcomes two_runs = right;
  two_runs.pairs.insert(two_runs.pairs.end(), wrong.pairs.begin(), wrong.pairs.end());
  const PairedDifference half = paired_difference(two_runs, wrong, "pooled", "wrong");
  CHECK(half.accuracy == doctest::Approx(0.5));
  CHECK(half.pairs_a == 10);

  CHECK_THROWS_WITH_AS(paired_difference(right, outcomes({"A", "D"}, {0, 1}, {0, 1}), "a", "b"),
                       doctest::Contains("not tested on the same patients"), Error);
  CHECK_THROWS_WITH_AS(paired_difference(PairOutcomes{}, right, "empty", "b"),
                       doctest::Contains("group 'empty' has no test pairs"), Error);
}

TEST_CASE("class weights: none, balanced = N / (K n_c), and a bad word") {
  CHECK(class_weights_for(ClassWeights::None, {10, 30, 20}) == std::vector<float>{1.f, 1.f, 1.f});
  const std::vector<float> w = class_weights_for(ClassWeights::Balanced, {10, 30, 20});
  CHECK(w[0] == doctest::Approx(2.0));
  CHECK(w[1] == doctest::Approx(2.0 / 3));
  CHECK(w[2] == doctest::Approx(1.0));
  CHECK(class_weights_for(ClassWeights::Balanced, {0, 4, 4})[0] == 0.f);
  CHECK(parse_class_weights("balanced") == ClassWeights::Balanced);
  CHECK(parse_class_weights("none") == ClassWeights::None);
  CHECK_THROWS_WITH_AS(parse_class_weights("inverse"),
                       "classify: --class-weights must be 'none' or 'balanced', got 'inverse'", Error);
}
