// Run-folder files, validated as they are read (docs/report.md has the contract).
#include "train/run_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/error.h"
#include "train/pair_results.h"

namespace learner::train {

namespace fs = std::filesystem;

namespace {

std::string excerpt(const std::string& line) {
  return line.size() <= 60 ? line : line.substr(0, 57) + "...";
}

}  // namespace

std::optional<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    LEARNER_CHECK(!fs::exists(path), path, ": cannot be read");
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(str(path, ": not valid JSON (", e.what(), ")"));
  }
}

std::vector<MetricRecord> read_metrics_jsonl(const std::string& path) {
  std::ifstream in(path);
  LEARNER_CHECK(in.good(), path, ": ", fs::exists(path) ? "cannot be read" : "not found",
                " (every run folder holds a metrics.jsonl written by the training commands; see docs/report.md)");
  std::vector<MetricRecord> records;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = str(path, " line ", number, ": ");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(str(where, "not valid JSON (", e.what(), "): ", excerpt(line)));
    }
    LEARNER_CHECK(j.is_object(), where, "expected a JSON object, got: ", excerpt(line));
    MetricRecord r;
    for (const char* key : {"step", "epoch"}) {
      const auto it = j.find(key);
      LEARNER_CHECK(it != j.end() && it->is_number_integer(), where, "\"", key,
                    "\" must be an integer, got: ", excerpt(line));
    }
    const auto phase = j.find("phase");
    LEARNER_CHECK(phase != j.end() && phase->is_string() && !phase->get<std::string>().empty(), where,
                  "\"phase\" must be a non-empty string, got: ", excerpt(line));
    r.step = j["step"].get<int64_t>();
    r.epoch = j["epoch"].get<int64_t>();
    r.phase = phase->get<std::string>();
    for (const auto& [key, value] : j.items())
      if (key != "step" && key != "epoch" && value.is_number()) r.values[key] = value.get<double>();
    records.push_back(std::move(r));
  }
  LEARNER_CHECK(!in.bad(), path, ": read error");
  return records;
}

EmbeddingPairs read_embedding_analysis(const std::string& path) {
  const std::optional<nlohmann::json> file = read_json_file(path);
  LEARNER_CHECK(file.has_value(), path, ": not found");
  const nlohmann::json& j = *file;
  LEARNER_CHECK(j.is_object() && j.contains("pairs") && j["pairs"].is_array(), path,
                ": expected an object with \"pairs\": [[cosine distance, |HS difference|], ...]");
  EmbeddingPairs e;
  const nlohmann::json& pairs = j["pairs"];
  e.pairs.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    const nlohmann::json& p = pairs[i];
    LEARNER_CHECK(p.is_array() && p.size() == 2 && p[0].is_number() && p[1].is_number(), path, ": pair ", i,
                  " must be [cosine distance, |HS difference|], got ", excerpt(p.dump()));
    e.pairs.emplace_back(p[0].get<double>(), p[1].get<double>());
  }
  const auto spearman = j.find("spearman");
  LEARNER_CHECK(spearman != j.end() && (spearman->is_number() || spearman->is_null()), path,
                ": \"spearman\" must be a number (or null when undefined)");
  e.spearman = spearman->is_null() ? std::numeric_limits<double>::quiet_NaN() : spearman->get<double>();
  const auto split = j.find("split");
  LEARNER_CHECK(split == j.end() || split->is_string(), path, ": \"split\" must be a string");
  e.split = split == j.end() ? "unknown split" : split->get<std::string>();
  return e;
}

RunData load_run(const std::string& dir) {
  LEARNER_CHECK(fs::is_directory(dir), "report: run folder ", dir, " does not exist");
  RunData run;
  run.dir = dir;
  const fs::path normal = fs::path(dir).lexically_normal();
  run.name = (normal.has_filename() ? normal.filename() : normal.parent_path().filename()).string();
  if (run.name.empty() || run.name == "." || run.name == "..")
    run.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();

  const std::string base = (fs::path(dir) / "").string();
  if (std::optional<nlohmann::json> config = read_json_file(base + "config.json")) {
    LEARNER_CHECK(config->is_object(), base, "config.json: expected a JSON object");
    run.config = std::move(*config);
  } else {
    run.config = nlohmann::json::object();
    run.notes.push_back("no config.json");
  }
  run.metrics = read_metrics_jsonl(base + "metrics.jsonl");
  if (run.metrics.empty()) run.notes.push_back("metrics.jsonl has no records yet");
  if (fs::exists(base + "embedding_analysis.json"))
    run.embedding = read_embedding_analysis(base + "embedding_analysis.json");
  else
    run.notes.push_back("no embedding_analysis.json: Fig. 1 analysis skipped");
  if (std::optional<nlohmann::json> eval = read_json_file(base + "eval.json")) {
    run.eval = classification_report_from_json(*eval, base + "eval.json");
    if (eval->contains("pairs")) run.test_pairs = outcomes_from_eval_json(*eval, base + "eval.json");
    else run.notes.push_back("eval.json has no per-pair predictions (an older learner): no intervals");
    run.train_support = train_support_from_eval_json(*eval, base + "eval.json");
    if (eval->contains("class_weights") && (*eval)["class_weights"].is_string())
      run.class_weights = (*eval)["class_weights"].get<std::string>();
  } else
    run.notes.push_back("no eval.json: confusion matrix skipped");
  return run;
}

const nlohmann::json* find_config_value(const nlohmann::json& config, const std::string& key) {
  if (!config.is_object()) return nullptr;
  if (const auto it = config.find(key); it != config.end()) return &*it;
  if (const size_t dot = key.find('.'); dot != std::string::npos) {
    const auto it = config.find(key.substr(0, dot));
    return it == config.end() ? nullptr : find_config_value(*it, key.substr(dot + 1));
  }
  for (const auto& item : config.items())
    if (const nlohmann::json* found = find_config_value(item.value(), key)) return found;
  return nullptr;
}

}  // namespace learner::train
