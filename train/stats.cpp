// Baselines and patient-level bootstrap intervals (train/stats.h). Every resample sums the
// per-patient confusion matrices with their multiplicities, so a resample costs O(P K^2).
#include "train/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "base/error.h"
#include "framework/random.h"

namespace learner::train {

namespace {

using Confusion = std::vector<int64_t>;  // K x K, [true * K + predicted]

// Patients in sorted order of id, each with its confusion matrix.
struct PatientTable {
  std::vector<std::string> ids;
  std::vector<Confusion> confusion;
};

PatientTable by_patient(const PairOutcomes& o) {
  const int64_t k = o.num_classes;
  LEARNER_CHECK(k >= 2, "statistics: need at least 2 classes, got ", k);
  std::map<std::string, Confusion> m;
  for (size_t i = 0; i < o.pairs.size(); ++i) {
    const PairOutcome& p = o.pairs[i];
    LEARNER_CHECK(p.label >= 0 && p.label < k && p.prediction >= 0 && p.prediction < k, "statistics: pair ", i,
                  " of patient '", p.patient, "' has label ", p.label, " and prediction ", p.prediction,
                  "; both must be in [0, ", k, ")");
    Confusion& c = m[p.patient];
    if (c.empty()) c.assign(k * k, 0);
    ++c[p.label * k + p.prediction];
  }
  PatientTable t;
  for (auto& [id, c] : m) {
    t.ids.push_back(id);
    t.confusion.push_back(std::move(c));
  }
  return t;
}

struct Scores {
  double accuracy = 0, macro_f1 = 0;
  std::vector<double> f1;
};

// F1 of class c is 2 TP / (2 TP + FP + FN), 0 when that is 0/0: the same as 2PR / (P + R)
// with the zero-division rules of classification_report (train/metrics.h).
Scores scores_of(const Confusion& c, int64_t k) {
  Scores s;
  int64_t total = 0, correct = 0;
  for (int64_t t = 0; t < k; ++t) {
    correct += c[t * k + t];
    for (int64_t p = 0; p < k; ++p) total += c[t * k + p];
  }
  s.accuracy = total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
  s.f1.assign(k, 0);
  for (int64_t cls = 0; cls < k; ++cls) {
    int64_t row = 0, col = 0;
    for (int64_t j = 0; j < k; ++j) {
      row += c[cls * k + j];
      col += c[j * k + cls];
    }
    const int64_t tp = c[cls * k + cls];
    const int64_t den = row + col;  // 2 TP + FP + FN
    s.f1[cls] = den == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(den);
  }
  s.macro_f1 = std::accumulate(s.f1.begin(), s.f1.end(), 0.0) / static_cast<double>(k);
  return s;
}

Confusion resampled(const PatientTable& t, const std::vector<int64_t>& draw, int64_t k) {
  Confusion c(k * k, 0);
  for (const int64_t p : draw)
    for (int64_t j = 0; j < k * k; ++j) c[j] += t.confusion[p][j];
  return c;
}

Confusion pooled(const PatientTable& t, int64_t k) {
  Confusion c(k * k, 0);
  for (const Confusion& p : t.confusion)
    for (int64_t j = 0; j < k * k; ++j) c[j] += p[j];
  return c;
}

Interval interval_of(std::vector<double> values, double level) {
  std::sort(values.begin(), values.end());
  const double alpha = (1.0 - level) / 2.0;
  return {percentile(values, alpha), percentile(values, 1.0 - alpha)};
}

void check_options(const BootstrapOptions& o) {
  LEARNER_CHECK(o.resamples >= 1, "bootstrap: the number of resamples must be at least 1, got ", o.resamples);
  LEARNER_CHECK(o.level > 0 && o.level < 1, "bootstrap: the interval level must be in (0, 1), got ", o.level);
}

std::string signed_number(double v, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  std::string s = buf;
  return (v >= 0 && s[0] != '-' ? "+" : "") + s;
}

std::string verdict_of(const Interval& ci) {
  if (ci.lo > 0) return "shown (higher)";
  if (ci.hi < 0) return "shown (lower)";
  return "not shown";
}

}  // namespace

Baselines compute_baselines(const std::vector<int64_t>& test_labels, const std::vector<int64_t>& train_support,
                            int64_t k) {
  LEARNER_CHECK(k >= 2, "baselines: need at least 2 classes, got ", k);
  LEARNER_CHECK(!test_labels.empty(), "baselines: no test labels");
  LEARNER_CHECK(train_support.empty() || static_cast<int64_t>(train_support.size()) == k,
                "baselines: the training support has ", train_support.size(), " classes, expected ", k);
  std::vector<double> p(k, 0), q(k, 0);
  for (const int64_t l : test_labels) {
    LEARNER_CHECK(l >= 0 && l < k, "baselines: label ", l, " is outside [0, ", k, ")");
    p[l] += 1;
  }
  const double n = static_cast<double>(test_labels.size());
  for (double& v : p) v /= n;
  double train_total = 0;
  for (const int64_t s : train_support) train_total += static_cast<double>(s);
  if (train_total > 0) {
    for (int64_t c = 0; c < k; ++c) q[c] = static_cast<double>(train_support[c]) / train_total;
  } else {
    q = p;
  }
  Baselines b;
  b.majority_class = std::max_element(q.begin(), q.end()) - q.begin();  // first of equal maxima
  const double pm = p[b.majority_class];
  b.majority_accuracy = pm;
  // Only the majority class is ever predicted: precision p_m, recall 1, F1 2 p_m / (p_m + 1).
  b.majority_macro_f1 = (pm > 0 ? 2 * pm / (pm + 1) : 0.0) / static_cast<double>(k);
  for (int64_t c = 0; c < k; ++c) {
    b.stratified_accuracy += p[c] * q[c];
    b.stratified_macro_f1 += p[c] + q[c] > 0 ? 2 * p[c] * q[c] / (p[c] + q[c]) : 0.0;
  }
  b.stratified_macro_f1 /= static_cast<double>(k);
  return b;
}

double percentile(const std::vector<double>& sorted, double q) {
  LEARNER_CHECK(!sorted.empty(), "percentile: no values");
  LEARNER_CHECK(q >= 0 && q <= 1, "percentile: q must be in [0, 1], got ", q);
  const double h = q * static_cast<double>(sorted.size() - 1);
  const size_t f = static_cast<size_t>(std::floor(h));
  if (f + 1 >= sorted.size()) return sorted.back();
  return sorted[f] + (h - static_cast<double>(f)) * (sorted[f + 1] - sorted[f]);
}

std::vector<std::vector<int64_t>> bootstrap_draws(int64_t num_patients, int64_t resamples, uint64_t seed) {
  LEARNER_CHECK(num_patients >= 1, "bootstrap: no patients to resample");
  Generator gen(seed);
  std::vector<std::vector<int64_t>> draws(resamples, std::vector<int64_t>(num_patients));
  for (auto& row : draws)
    for (int64_t& p : row) p = gen.randint(num_patients);
  return draws;
}

MetricIntervals bootstrap_intervals(const PairOutcomes& o, const BootstrapOptions& options) {
  check_options(options);
  LEARNER_CHECK(!o.pairs.empty(), "bootstrap: no pairs");
  const int64_t k = o.num_classes;
  const PatientTable t = by_patient(o);
  MetricIntervals m;
  m.num_pairs = static_cast<int64_t>(o.pairs.size());
  m.num_patients = static_cast<int64_t>(t.ids.size());
  const Scores point = scores_of(pooled(t, k), k);
  m.accuracy = point.accuracy;
  m.macro_f1 = point.macro_f1;
  m.f1 = point.f1;
  std::vector<double> acc, f1;
  std::vector<std::vector<double>> per_class(k);
  for (const std::vector<int64_t>& draw : bootstrap_draws(m.num_patients, options.resamples, options.seed)) {
    const Scores s = scores_of(resampled(t, draw, k), k);
    acc.push_back(s.accuracy);
    f1.push_back(s.macro_f1);
    for (int64_t c = 0; c < k; ++c) per_class[c].push_back(s.f1[c]);
  }
  m.accuracy_ci = interval_of(acc, options.level);
  m.macro_f1_ci = interval_of(f1, options.level);
  for (int64_t c = 0; c < k; ++c) m.f1_ci.push_back(interval_of(per_class[c], options.level));
  return m;
}

PairedDifference paired_difference(const PairOutcomes& a, const PairOutcomes& b, const std::string& name_a,
                                   const std::string& name_b, const BootstrapOptions& options) {
  check_options(options);
  LEARNER_CHECK(!a.pairs.empty(), "compare: group '", name_a, "' has no test pairs");
  LEARNER_CHECK(!b.pairs.empty(), "compare: group '", name_b, "' has no test pairs");
  LEARNER_CHECK(a.num_classes == b.num_classes, "compare: group '", name_a, "' has ", a.num_classes,
                " classes but '", name_b, "' has ", b.num_classes);
  const int64_t k = a.num_classes;
  const PatientTable ta = by_patient(a), tb = by_patient(b);
  if (ta.ids != tb.ids) {
    std::string only;
    for (const std::string& id : ta.ids)
      if (!std::binary_search(tb.ids.begin(), tb.ids.end(), id)) only += (only.empty() ? "" : ", ") + id;
    throw Error(str("compare: groups '", name_a, "' (", ta.ids.size(), " test patients) and '", name_b, "' (",
                    tb.ids.size(), " test patients) were not tested on the same patients",
                    only.empty() ? std::string() : " (only in '" + name_a + "': " + only + ")",
                    "; compare runs made from one clip store with one split"));
  }
  PairedDifference d;
  d.name_a = name_a;
  d.name_b = name_b;
  d.num_patients = static_cast<int64_t>(ta.ids.size());
  d.pairs_a = static_cast<int64_t>(a.pairs.size());
  d.pairs_b = static_cast<int64_t>(b.pairs.size());
  const Scores sa = scores_of(pooled(ta, k), k), sb = scores_of(pooled(tb, k), k);
  d.macro_f1 = sa.macro_f1 - sb.macro_f1;
  d.accuracy = sa.accuracy - sb.accuracy;
  std::vector<double> f1, acc;
  for (const std::vector<int64_t>& draw : bootstrap_draws(d.num_patients, options.resamples, options.seed)) {
    const Scores ra = scores_of(resampled(ta, draw, k), k), rb = scores_of(resampled(tb, draw, k), k);
    f1.push_back(ra.macro_f1 - rb.macro_f1);
    acc.push_back(ra.accuracy - rb.accuracy);
  }
  d.macro_f1_ci = interval_of(f1, options.level);
  d.accuracy_ci = interval_of(acc, options.level);
  d.macro_f1_shown = d.macro_f1_ci.lo > 0 || d.macro_f1_ci.hi < 0;
  d.accuracy_shown = d.accuracy_ci.lo > 0 || d.accuracy_ci.hi < 0;
  return d;
}

std::string verdict_line(const PairedDifference& d) {
  return d.name_a + " - " + d.name_b + ": macro F1 " + signed_number(d.macro_f1, "%.3f") + " [" +
         signed_number(d.macro_f1_ci.lo, "%.3f") + ", " + signed_number(d.macro_f1_ci.hi, "%.3f") + "], " +
         verdict_of(d.macro_f1_ci) + "; accuracy " + signed_number(100 * d.accuracy, "%.1f") + " [" +
         signed_number(100 * d.accuracy_ci.lo, "%.1f") + ", " + signed_number(100 * d.accuracy_ci.hi, "%.1f") +
         "] points, " + verdict_of(d.accuracy_ci);
}

PairOutcomes constant_predictions(const PairOutcomes& o, int64_t cls) {
  PairOutcomes out = o;
  for (PairOutcome& p : out.pairs) p.prediction = cls;
  return out;
}

nlohmann::json to_json(const MetricIntervals& m, const BootstrapOptions& o) {
  auto pair = [](const Interval& i) { return nlohmann::json::array({i.lo, i.hi}); };
  nlohmann::json f1 = nlohmann::json::array();
  for (const Interval& i : m.f1_ci) f1.push_back(pair(i));
  return {{"unit", "patient"},         {"resamples", o.resamples},        {"seed", o.seed},
          {"level", o.level},          {"num_patients", m.num_patients},  {"num_pairs", m.num_pairs},
          {"accuracy", pair(m.accuracy_ci)}, {"macro_f1", pair(m.macro_f1_ci)}, {"f1", f1}};
}

nlohmann::json to_json(const Baselines& b, const std::vector<std::string>& names) {
  return {{"majority", {{"class", names.at(b.majority_class)},
                        {"accuracy", b.majority_accuracy},
                        {"macro_f1", b.majority_macro_f1}}},
          {"stratified", {{"accuracy", b.stratified_accuracy}, {"macro_f1", b.stratified_macro_f1}}}};
}

nlohmann::json to_json(const PairedDifference& d, const BootstrapOptions& o) {
  auto pair = [](const Interval& i) { return nlohmann::json::array({i.lo, i.hi}); };
  return {{"a", d.name_a},
          {"b", d.name_b},
          {"num_patients", d.num_patients},
          {"pairs_a", d.pairs_a},
          {"pairs_b", d.pairs_b},
          {"resamples", o.resamples},
          {"seed", o.seed},
          {"level", o.level},
          {"macro_f1_difference", d.macro_f1},
          {"macro_f1_interval", pair(d.macro_f1_ci)},
          {"macro_f1_shown", d.macro_f1_shown},
          {"accuracy_difference", d.accuracy},
          {"accuracy_interval", pair(d.accuracy_ci)},
          {"accuracy_shown", d.accuracy_shown},
          {"verdict", verdict_line(d)}};
}

}  // namespace learner::train
