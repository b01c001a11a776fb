// eval.json's per-pair records, baselines and intervals (train/pair_results.h).
#include "train/pair_results.h"

#include <cstdio>

#include "base/error.h"

namespace learner::train {

namespace {
PairOutcomes outcomes_of(const std::vector<PairResult>& pairs) {
  PairOutcomes o;
  o.num_classes = static_cast<int64_t>(pair_class_names().size());
  for (const PairResult& p : pairs) o.pairs.push_back({p.patient, p.label, p.prediction});
  return o;
}
}  // namespace

HonestReport honest_report(const std::vector<PairResult>& pairs, const std::vector<int64_t>& train_support,
                           const BootstrapOptions& bootstrap) {
  LEARNER_CHECK(!pairs.empty(), "honest_report: no pairs");
  HonestReport h;
  std::vector<int64_t> labels, predictions;
  for (const PairResult& p : pairs) {
    labels.push_back(p.label);
    predictions.push_back(p.prediction);
  }
  h.report = classification_report(labels, predictions);
  h.baselines = compute_baselines(labels, train_support, static_cast<int64_t>(h.report.class_names.size()));
  h.intervals = bootstrap_intervals(outcomes_of(pairs), bootstrap);
  h.bootstrap = bootstrap;
  return h;
}

nlohmann::json eval_json(const HonestReport& h, const std::vector<PairResult>& pairs,
                         const std::vector<int64_t>& train_support, const std::string& class_weights) {
  nlohmann::json j = to_json(h.report);
  j["baselines"] = to_json(h.baselines, h.report.class_names);
  j["bootstrap"] = to_json(h.intervals, h.bootstrap);
  j["train_support"] = train_support;
  j["class_weights"] = class_weights;
  nlohmann::json list = nlohmann::json::array();
  for (const PairResult& p : pairs)
    list.push_back({{"patient", p.patient},
                    {"first_scan", p.first_scan},
                    {"second_scan", p.second_scan},
                    {"label", p.label},
                    {"prediction", p.prediction},
                    {"probabilities", p.probabilities}});
  j["pairs"] = list;
  return j;
}

std::string headline(const HonestReport& h, const std::string& split) {
  const MetricIntervals& m = h.intervals;
  const Baselines& b = h.baselines;
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "%lld %s pairs of %lld patients: macro F1 %.3f [%.3f, %.3f], accuracy %.1f %% [%.1f, %.1f] "
                "(%.0f %% bootstrap over patients); majority class (%s): macro F1 %.3f, accuracy %.1f %%; "
                "stratified chance: macro F1 %.3f, accuracy %.1f %%",
                static_cast<long long>(m.num_pairs), split.c_str(), static_cast<long long>(m.num_patients),
                m.macro_f1, m.macro_f1_ci.lo, m.macro_f1_ci.hi, 100 * m.accuracy, 100 * m.accuracy_ci.lo,
                100 * m.accuracy_ci.hi, 100 * h.bootstrap.level, h.report.class_names.at(b.majority_class).c_str(),
                b.majority_macro_f1, 100 * b.majority_accuracy, b.stratified_macro_f1, 100 * b.stratified_accuracy);
  return buf;
}

PairOutcomes outcomes_from_eval_json(const nlohmann::json& j, const std::string& source) {
  PairOutcomes o;
  try {
    LEARNER_CHECK(j.is_object(), "not a JSON object");
    const auto pairs = j.find("pairs");
    LEARNER_CHECK(pairs != j.end(), "no per-pair predictions (\"pairs\"); it was written by an older learner: "
                                    "run `learner classify` again, or `learner eval --split test --json ", source,
                                    "`");
    LEARNER_CHECK(pairs->is_array(), "\"pairs\" must be a list");
    o.num_classes = j.contains("classes") ? static_cast<int64_t>(j.at("classes").size())
                                          : static_cast<int64_t>(pair_class_names().size());
    for (size_t i = 0; i < pairs->size(); ++i) {
      const nlohmann::json& p = (*pairs)[i];
      PairOutcome out{p.at("patient").get<std::string>(), p.at("label").get<int64_t>(),
                      p.at("prediction").get<int64_t>()};
      LEARNER_CHECK(out.label >= 0 && out.label < o.num_classes && out.prediction >= 0 &&
                        out.prediction < o.num_classes,
                    "pair ", i, " has label ", out.label, " and prediction ", out.prediction, ", outside [0, ",
                    o.num_classes, ")");
      o.pairs.push_back(std::move(out));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(str(source, ": bad per-pair predictions: ", e.what()));
  } catch (const Error& e) {
    throw Error(str(source, ": ", e.what()));
  }
  return o;
}

std::vector<int64_t> train_support_from_eval_json(const nlohmann::json& j, const std::string& source) {
  const auto it = j.find("train_support");
  if (it == j.end()) return {};
  try {
    return it->get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(str(source, ": \"train_support\" must be a list of counts: ", e.what()));
  }
}

}  // namespace learner::train
