// Reading a run folder, the contract between the training commands and `learner report`
// (docs/report.md): config.json, metrics.jsonl, and optionally embedding_analysis.json and
// eval.json. Every problem in a file is a learner::Error naming the file (and line).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "train/metrics.h"
#include "train/stats.h"

namespace learner::train {

// One line of metrics.jsonl.
struct MetricRecord {
  int64_t step = 0;
  int64_t epoch = 0;
  std::string phase;                      // "train", "val", "test", "classify_train", ...
  std::map<std::string, double> values;   // the other numeric fields; null (NaN) is left out
};

// Parses metrics.jsonl: one JSON object per line with an integer "step" and "epoch" and a
// string "phase"; other numbers are kept, other types (strings, lists) ignored, blank lines
// skipped. A missing file or a bad line is an Error naming the file and the line.
std::vector<MetricRecord> read_metrics_jsonl(const std::string& path);

// embedding_analysis.json.
struct EmbeddingPairs {
  std::vector<std::pair<double, double>> pairs;  // (cosine distance, |HS difference|)
  double spearman = 0;                           // NaN when the file holds null
  std::string split;
};
EmbeddingPairs read_embedding_analysis(const std::string& path);

struct RunData {
  std::string dir;                          // as given on the command line
  std::string name;                         // display name: the folder's name
  nlohmann::json config;                    // an object; empty when config.json is missing
  std::vector<MetricRecord> metrics;
  std::optional<EmbeddingPairs> embedding;  // from embedding_analysis.json
  std::optional<ClassificationReport> eval; // from eval.json
  std::optional<PairOutcomes> test_pairs;   // eval.json's "pairs": patient, label, prediction
  std::vector<int64_t> train_support;       // eval.json's "train_support"; empty when absent
  std::string class_weights;                // eval.json's "class_weights"; empty when absent
  std::vector<std::string> notes;           // what was missing, for the report
};

// Reads one run folder. metrics.jsonl is required; config.json, embedding_analysis.json and
// eval.json are optional (a missing one adds a note; a corrupt one is an Error).
RunData load_run(const std::string& dir);

// Parses a whole JSON file; nullopt when it does not exist; an Error naming the file when it
// cannot be read or parsed.
std::optional<nlohmann::json> read_json_file(const std::string& path);

// A config value by key: a top-level key, a dotted path ("pretrain.loss"), or else the first
// object member of that name found depth-first. nullptr when absent.
const nlohmann::json* find_config_value(const nlohmann::json& config, const std::string& key);

}  // namespace learner::train
