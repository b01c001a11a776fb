// Evaluation metrics (SPEC section 9). Plain loops in double; everything is deterministic.
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <unordered_set>

#include "base/error.h"
#include "framework/random.h"

namespace learner::train {

namespace {
double ratio_or_zero(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}
}  // namespace

const std::vector<std::string>& pair_class_names() {
  static const std::vector<std::string> names = {"improved", "same", "deteriorated"};
  return names;
}

ClassificationReport classification_report(const std::vector<int64_t>& labels,
                                           const std::vector<int64_t>& predictions,
                                           const std::vector<std::string>& class_names) {
  const int64_t k = static_cast<int64_t>(class_names.size());
  LEARNER_CHECK(k >= 2, "classification_report: need at least 2 classes, got ", k);
  LEARNER_CHECK(labels.size() == predictions.size(), "classification_report: ", labels.size(),
                " labels but ", predictions.size(), " predictions");
  LEARNER_CHECK(!labels.empty(), "classification_report: no samples");
  ClassificationReport r;
  r.class_names = class_names;
  r.num_samples = static_cast<int64_t>(labels.size());
  r.confusion.assign(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    LEARNER_CHECK(labels[i] >= 0 && labels[i] < k && predictions[i] >= 0 && predictions[i] < k,
                  "classification_report: sample ", i, " has label ", labels[i], " and prediction ",
                  predictions[i], "; both must be in [0, ", k, ")");
    ++r.confusion[labels[i]][predictions[i]];
  }
  int64_t correct = 0;
  r.precision.assign(k, 0);
  r.recall.assign(k, 0);
  r.f1.assign(k, 0);
  r.support.assign(k, 0);
  for (int64_t c = 0; c < k; ++c) {
    int64_t predicted = 0;
    for (int64_t t = 0; t < k; ++t) {
      r.support[c] += r.confusion[c][t];
      predicted += r.confusion[t][c];
    }
    const int64_t tp = r.confusion[c][c];
    correct += tp;
    r.precision[c] = ratio_or_zero(tp, predicted);
    r.recall[c] = ratio_or_zero(tp, r.support[c]);
    const double sum = r.precision[c] + r.recall[c];
    r.f1[c] = sum == 0 ? 0.0 : 2 * r.precision[c] * r.recall[c] / sum;
  }
  r.accuracy = ratio_or_zero(correct, r.num_samples);
  r.macro_f1 = std::accumulate(r.f1.begin(), r.f1.end(), 0.0) / static_cast<double>(k);
  return r;
}

nlohmann::json to_json(const ClassificationReport& r) {
  nlohmann::json per_class = nlohmann::json::array();
  for (size_t c = 0; c < r.class_names.size(); ++c)
    per_class.push_back({{"name", r.class_names[c]},
                         {"precision", r.precision[c]},
                         {"recall", r.recall[c]},
                         {"f1", r.f1[c]},
                         {"support", r.support[c]}});
  return {{"num_samples", r.num_samples}, {"accuracy", r.accuracy},   {"macro_f1", r.macro_f1},
          {"classes", r.class_names},     {"per_class", per_class}, {"confusion_matrix", r.confusion}};
}

ClassificationReport classification_report_from_json(const nlohmann::json& j, const std::string& source) {
  ClassificationReport r;
  try {
    LEARNER_CHECK(j.is_object(), "not a JSON object");
    r.class_names = j.at("classes").get<std::vector<std::string>>();
    r.num_samples = j.at("num_samples").get<int64_t>();
    r.accuracy = j.at("accuracy").get<double>();
    r.macro_f1 = j.at("macro_f1").get<double>();
    r.confusion = j.at("confusion_matrix").get<std::vector<std::vector<int64_t>>>();
    const nlohmann::json& per_class = j.at("per_class");
    const size_t k = r.class_names.size();
    LEARNER_CHECK(k >= 2 && per_class.is_array() && per_class.size() == k && r.confusion.size() == k,
                  "\"classes\", \"per_class\" and \"confusion_matrix\" must have the same length (>= 2)");
    for (size_t c = 0; c < k; ++c) {
      LEARNER_CHECK(r.confusion[c].size() == k, "confusion_matrix row ", c, " has ", r.confusion[c].size(),
                    " entries, expected ", k);
      r.precision.push_back(per_class[c].at("precision").get<double>());
      r.recall.push_back(per_class[c].at("recall").get<double>());
      r.f1.push_back(per_class[c].at("f1").get<double>());
      r.support.push_back(per_class[c].at("support").get<int64_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(str(source, ": not a classification report: ", e.what()));
  } catch (const Error& e) {
    throw Error(str(source, ": not a classification report: ", e.what()));
  }
  return r;
}

std::string format_classification_report(const ClassificationReport& r) {
  const size_t k = r.class_names.size();
  size_t width = 12;
  for (const std::string& name : r.class_names) width = std::max(width, name.size() + 2);
  const int w = static_cast<int>(width);
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "confusion matrix (rows: true, columns: predicted), %lld samples\n",
                static_cast<long long>(r.num_samples));
  out += buf;
  std::snprintf(buf, sizeof buf, "%-*s", w, "");
  out += buf;
  for (const std::string& name : r.class_names) {
    std::snprintf(buf, sizeof buf, "%*s", w, name.c_str());
    out += buf;
  }
  out += "\n";
  for (size_t t = 0; t < k; ++t) {
    std::snprintf(buf, sizeof buf, "%-*s", w, r.class_names[t].c_str());
    out += buf;
    for (size_t p = 0; p < k; ++p) {
      std::snprintf(buf, sizeof buf, "%*lld", w, static_cast<long long>(r.confusion[t][p]));
      out += buf;
    }
    out += "\n";
  }
  std::snprintf(buf, sizeof buf, "\n%-*s%10s%10s%10s%10s\n", w, "class", "precision", "recall", "f1", "support");
  out += buf;
  for (size_t c = 0; c < k; ++c) {
    std::snprintf(buf, sizeof buf, "%-*s%10.4f%10.4f%10.4f%10lld\n", w, r.class_names[c].c_str(),
                  r.precision[c], r.recall[c], r.f1[c], static_cast<long long>(r.support[c]));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "\naccuracy %.4f   macro F1 %.4f\n", r.accuracy, r.macro_f1);
  out += buf;
  return out;
}

double mean_absolute_error(const std::vector<float>& predictions, const std::vector<float>& targets) {
  LEARNER_CHECK(predictions.size() == targets.size() && !predictions.empty(),
                "mean_absolute_error: need the same non-zero number of predictions and targets, got ",
                predictions.size(), " and ", targets.size());
  double sum = 0;
  for (size_t i = 0; i < predictions.size(); ++i)
    sum += std::fabs(static_cast<double>(predictions[i]) - static_cast<double>(targets[i]));
  return sum / static_cast<double>(predictions.size());
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && values[order[end]] == values[order[begin]]) ++end;
    // Positions begin..end-1 hold equal values: each gets the mean of ranks begin+1..end.
    const double rank = 0.5 * static_cast<double>(begin + 1 + end);
    for (size_t i = begin; i < end; ++i) ranks[order[i]] = rank;
    begin = end;
  }
  return ranks;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  LEARNER_CHECK(x.size() == y.size() && x.size() >= 2, "pearson: need two sequences of the same length >= 2, got ",
                x.size(), " and ", y.size());
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  // Rounding can push |r| a hair past 1 for perfectly (anti)correlated inputs.
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  LEARNER_CHECK(x.size() == y.size() && x.size() >= 2,
                "spearman: need two sequences of the same length >= 2, got ", x.size(), " and ", y.size());
  for (size_t i = 0; i < x.size(); ++i)
    LEARNER_CHECK(!std::isnan(x[i]) && !std::isnan(y[i]), "spearman: value ", i, " is NaN");
  return pearson(average_ranks(x), average_ranks(y));
}

namespace {
// Maps sorted linear pair indices (row-major over i < j) to (i, j) in one sweep.
std::vector<std::pair<int64_t, int64_t>> pairs_from_indices(const std::vector<int64_t>& sorted, int64_t n) {
  std::vector<std::pair<int64_t, int64_t>> out;
  out.reserve(sorted.size());
  int64_t i = 0, row_start = 0;  // linear index of pair (i, i + 1)
  for (const int64_t k : sorted) {
    while (k >= row_start + (n - 1 - i)) {
      row_start += n - 1 - i;
      ++i;
    }
    out.emplace_back(i, i + 1 + (k - row_start));
  }
  return out;
}
}  // namespace

EmbeddingAnalysis embedding_analysis(const Tensor& embeddings, const std::vector<float>& scores,
                                     int64_t max_pairs, uint64_t seed) {
  check_rank(embeddings, 2, "embedding_analysis", "embeddings");
  check_dtype(embeddings, DType::F32, "embedding_analysis", "embeddings");
  LEARNER_CHECK(embeddings.device().is_cpu(), "embedding_analysis: embeddings must be on the CPU (call .to(Device::cpu()) first), got ",
                embeddings.describe());
  const int64_t n = embeddings.size(0), e = embeddings.size(1);
  LEARNER_CHECK(static_cast<int64_t>(scores.size()) == n, "embedding_analysis: ", n, " embeddings but ",
                scores.size(), " scores");
  LEARNER_CHECK(n >= 3, "embedding_analysis: need at least 3 scans, got ", n);
  LEARNER_CHECK(max_pairs >= 0 && max_pairs != 1, "embedding_analysis: max_pairs must be 0 (all) or >= 2, got ", max_pairs);

  EmbeddingAnalysis a;
  a.num_scans = n;
  a.total_pairs = n * (n - 1) / 2;
  std::vector<int64_t> chosen;
  if (max_pairs == 0 || a.total_pairs <= max_pairs) {
    chosen.resize(a.total_pairs);
    std::iota(chosen.begin(), chosen.end(), int64_t{0});
  } else {
    // Floyd's algorithm: max_pairs distinct indices of [0, total_pairs), uniformly.
    Generator gen(seed);
    std::unordered_set<int64_t> taken;
    for (int64_t j = a.total_pairs - max_pairs; j < a.total_pairs; ++j) {
      const int64_t t = gen.randint(j + 1);
      const int64_t pick = taken.count(t) ? j : t;
      taken.insert(pick);
      chosen.push_back(pick);
    }
    std::sort(chosen.begin(), chosen.end());
  }

  // u is (N, E); norms in double so that the distances do not depend on summation order.
  const float* u = embeddings.data<float>();
  std::vector<double> norm(n);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t k = 0; k < e; ++k) s += static_cast<double>(u[i * e + k]) * u[i * e + k];
    norm[i] = std::sqrt(s);
  }
  std::vector<double> dist, diff;
  dist.reserve(chosen.size());
  diff.reserve(chosen.size());
  for (const auto& [i, j] : pairs_from_indices(chosen, n)) {
    double dot = 0;
    for (int64_t k = 0; k < e; ++k) dot += static_cast<double>(u[i * e + k]) * u[j * e + k];
    const double cos = dot / std::max(norm[i] * norm[j], 1e-8);
    dist.push_back(1.0 - cos);
    diff.push_back(std::fabs(static_cast<double>(scores[i]) - static_cast<double>(scores[j])));
    a.pairs.emplace_back(dist.back(), diff.back());
  }
  a.spearman = spearman(dist, diff);
  return a;
}

nlohmann::json to_json(const EmbeddingAnalysis& a, const std::string& split) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [d, h] : a.pairs) pairs.push_back({d, h});
  return {{"pairs", pairs},
          {"spearman", a.spearman},  // NaN is written as null
          {"split", split},
          {"num_scans", a.num_scans},
          {"total_pairs", a.total_pairs}};
}

}  // namespace learner::train
