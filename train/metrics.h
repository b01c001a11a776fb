// Evaluation metrics of SPEC section 9: three-way pair classification (accuracy, per-class
// precision / recall / F1, macro F1, confusion matrix), score MAE, Spearman correlation, and
// the paper's Fig. 1 embedding analysis (cosine distance against |HS_i - HS_j| over pairs).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace learner::train {

// Pair labels of SPEC section 2, in label order.
const std::vector<std::string>& pair_class_names();  // {"improved", "same", "deteriorated"}

struct ClassificationReport {
  std::vector<std::string> class_names;          // K names, in label order
  int64_t num_samples = 0;
  double accuracy = 0;
  double macro_f1 = 0;                           // mean over all K classes
  std::vector<double> precision, recall, f1;     // K each
  std::vector<int64_t> support;                  // K: how many samples have each true label
  std::vector<std::vector<int64_t>> confusion;   // K x K: [true label][predicted label]
};

// Metrics of predictions against labels (both in [0, K), same length, at least one).
// Zero divisions count 0: precision of a class never predicted, recall of a class with no
// support, F1 when precision + recall is 0. So a class with no support and no predictions
// has F1 0 and still counts in the macro mean (SPEC section 9).
ClassificationReport classification_report(const std::vector<int64_t>& labels,
                                           const std::vector<int64_t>& predictions,
                                           const std::vector<std::string>& class_names = pair_class_names());

// {"num_samples", "accuracy", "macro_f1", "classes": [names], "per_class": [{"name",
// "precision", "recall", "f1", "support"}], "confusion_matrix": [[...]] (rows true, cols predicted)}.
nlohmann::json to_json(const ClassificationReport& report);
// The inverse; throws learner::Error naming `source` when a field is missing or inconsistent.
ClassificationReport classification_report_from_json(const nlohmann::json& j, const std::string& source);

// A plain-text table: the confusion matrix, then one row per class (precision, recall, F1,
// support), then accuracy and macro F1.
std::string format_classification_report(const ClassificationReport& report);

// Mean |prediction - target|, accumulated in double. Same non-zero length.
double mean_absolute_error(const std::vector<float>& predictions, const std::vector<float>& targets);

// Ranks 1..n; tied values share the mean of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& values);

// Pearson correlation; NaN when either input is constant (the correlation is undefined).
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// Spearman rank correlation: Pearson of the average ranks. NaN when either input is constant.
// Needs at least two values; NaN inputs are an error.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// Paper Fig. 1: for pairs i < j of scans, x = cosine distance 1 - <u_i, u_j> / max(|u_i| |u_j|, 1e-8)
// (PyTorch's cosine_similarity eps) and y = |HS_i - HS_j|, with their Spearman correlation.
struct EmbeddingAnalysis {
  std::vector<std::pair<double, double>> pairs;  // (cosine distance, |HS difference|), i < j order
  int64_t num_scans = 0;
  int64_t total_pairs = 0;                       // N (N - 1) / 2, before any sampling
  double spearman = 0;                           // over `pairs`; NaN when undefined
};

// embeddings: (N, E) f32 on the CPU; scores: N health scores (HS units). All pairs when
// N (N - 1) / 2 <= max_pairs (or max_pairs == 0); otherwise max_pairs distinct pairs drawn
// without replacement from a Generator(seed), kept in i < j order, so the same inputs and
// seed give the same pairs.
EmbeddingAnalysis embedding_analysis(const Tensor& embeddings, const std::vector<float>& scores,
                                     int64_t max_pairs = 0, uint64_t seed = 0);

// The run-folder file embedding_analysis.json (docs/report.md):
// {"pairs": [[cos_dist, abs_hs_diff], ...], "spearman", "split", "num_scans", "total_pairs"}.
nlohmann::json to_json(const EmbeddingAnalysis& analysis, const std::string& split);

}  // namespace learner::train
