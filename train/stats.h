// Honest numbers for the pair classifier: the baselines a result must beat, and 95 %
// intervals by bootstrap over patients (the pairs of one patient are not independent, so a
// patient is the unit that is resampled, with all of their pairs). Deterministic: the draws
// come from a Generator(seed) alone.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace learner::train {

// One test pair's outcome: the patient it belongs to, true label, predicted label.
struct PairOutcome {
  std::string patient;
  int64_t label = 0;
  int64_t prediction = 0;
};

// The predictions of one run (or of several runs pooled) on the pairs of a split.
struct PairOutcomes {
  int64_t num_classes = 3;
  std::vector<PairOutcome> pairs;
};

struct Interval {
  double lo = 0, hi = 0;
};

// Baselines on a test label vector. The majority class is the most frequent class of the
// training pairs (`train_support`; the test labels' own when it is empty), ties to the lower
// index; it is predicted for every pair. Stratified chance predicts class c with probability
// q_c (the training class frequencies, else the test's), independently of the pair: its
// accuracy is the expectation sum_c p_c q_c (p: test frequencies), and its F1 per class is
// that of the expected confusion matrix, 2 p_c q_c / (p_c + q_c), averaged over the K classes.
struct Baselines {
  int64_t majority_class = 0;
  double majority_accuracy = 0, majority_macro_f1 = 0;
  double stratified_accuracy = 0, stratified_macro_f1 = 0;
};
Baselines compute_baselines(const std::vector<int64_t>& test_labels, const std::vector<int64_t>& train_support,
                            int64_t num_classes);

// Percentile q in [0, 1] of sorted values, linear between order statistics (NumPy's default).
double percentile(const std::vector<double>& sorted, double q);

// The bootstrap's draws: `resamples` rows of `num_patients` indices in [0, num_patients),
// drawn with replacement from Generator(seed), row by row.
std::vector<std::vector<int64_t>> bootstrap_draws(int64_t num_patients, int64_t resamples, uint64_t seed);

struct BootstrapOptions {
  int64_t resamples = 2000;
  uint64_t seed = 0;
  double level = 0.95;
};

// Point values and percentile intervals of accuracy, macro F1 and per-class F1. Patients are
// taken in sorted order of their ids, so the result does not depend on the order of pairs.
struct MetricIntervals {
  int64_t num_pairs = 0, num_patients = 0;
  double accuracy = 0, macro_f1 = 0;
  std::vector<double> f1;                  // K
  Interval accuracy_ci, macro_f1_ci;
  std::vector<Interval> f1_ci;             // K
};
MetricIntervals bootstrap_intervals(const PairOutcomes& outcomes, const BootstrapOptions& options = {});

// A minus B in macro F1 and accuracy, each over its own pooled pairs, with a paired bootstrap:
// every resample draws test patients once and takes all their pairs in both A and B. Both
// must cover the same patients (a Error otherwise). `shown` means the interval excludes 0.
struct PairedDifference {
  std::string name_a, name_b;
  int64_t num_patients = 0, pairs_a = 0, pairs_b = 0;
  double macro_f1 = 0, accuracy = 0;       // A - B
  Interval macro_f1_ci, accuracy_ci;
  bool macro_f1_shown = false, accuracy_shown = false;
};
PairedDifference paired_difference(const PairOutcomes& a, const PairOutcomes& b, const std::string& name_a,
                                   const std::string& name_b, const BootstrapOptions& options = {});

// "MSE + CL - MSE: macro F1 +0.040 [-0.030, +0.110], not shown; accuracy -1.9 [-8.0, +4.1] points, not shown"
std::string verdict_line(const PairedDifference& d);

// The pairs of `outcomes` with every prediction replaced by `cls` (the majority baseline).
PairOutcomes constant_predictions(const PairOutcomes& outcomes, int64_t cls);

// JSON of the intervals and the baselines, as written into eval.json (docs/report.md).
nlohmann::json to_json(const MetricIntervals& m, const BootstrapOptions& options);
nlohmann::json to_json(const Baselines& b, const std::vector<std::string>& class_names);
nlohmann::json to_json(const PairedDifference& d, const BootstrapOptions& options);

}  // namespace learner::train
