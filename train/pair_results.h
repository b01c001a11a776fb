// What `classify` and `eval` write about a split's pairs (eval.json, docs/report.md): the
// classification report, its baselines, patient-bootstrap intervals, and every pair's
// patient, scans, label, prediction and class probabilities, so that `report` and `compare`
// can resample patients later. Also the one-line headline the tools print.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "train/metrics.h"
#include "train/stats.h"

namespace learner::train {

struct PairResult {
  std::string patient, first_scan, second_scan;
  int64_t label = 0, prediction = 0;
  std::vector<float> probabilities;  // K, softmax of the classifier's logits
};

// The honest summary of a split's predictions.
struct HonestReport {
  ClassificationReport report;
  Baselines baselines;
  MetricIntervals intervals;
  BootstrapOptions bootstrap;
};

// train_support: class counts of the training pairs (the baselines' "training prior"),
// empty when unknown.
HonestReport honest_report(const std::vector<PairResult>& pairs, const std::vector<int64_t>& train_support,
                           const BootstrapOptions& bootstrap = {});

// to_json(report) plus "baselines", "bootstrap", "train_support", "class_weights" and "pairs".
nlohmann::json eval_json(const HonestReport& h, const std::vector<PairResult>& pairs,
                         const std::vector<int64_t>& train_support, const std::string& class_weights);

// "52 test pairs of 13 patients: macro F1 0.368 [0.281, 0.452], accuracy 67.3 % [55.0, 78.1]
// (95 % bootstrap over patients); majority class (same): macro F1 0.298, accuracy 80.8 %;
// stratified chance: macro F1 0.331, accuracy 66.0 %"
std::string headline(const HonestReport& h, const std::string& split);

// The pairs of an eval.json as outcomes; throws naming `source` when "pairs" is missing (a
// file from an older learner) or malformed.
PairOutcomes outcomes_from_eval_json(const nlohmann::json& j, const std::string& source);

// "train_support" of an eval.json; empty when absent.
std::vector<int64_t> train_support_from_eval_json(const nlohmann::json& j, const std::string& source);

}  // namespace learner::train
