// `learner report`: from one or more run folders (train/run_reader.h), a Markdown and an
// HTML report with SVG figures. It opens with the headline (each run's test macro F1 and
// accuracy with 95 % patient-bootstrap intervals, against the majority-class and
// stratified-chance baselines), then optional comparisons between groups of runs with a
// verdict, training curves overlaid across runs, the paper's Fig. 1 analysis per run,
// confusion matrices, and a summary table like the paper's Tables 3-4.
#pragma once

#include <string>
#include <vector>

#include "train/run_reader.h"
#include "train/stats.h"

namespace learner::train {

struct ReportOptions {
  std::string out_dir;
  // Config keys that name a configuration (columns of the summary; runs equal on all of them
  // are averaged in the "mean ± std" table). Looked up with find_config_value.
  std::vector<std::string> group_by = {"backbone", "loss", "sim", "lambda"};
  // When set, a config key (or "class_weights", from eval.json): runs are grouped by its
  // value and every group is compared with the first by the paired patient bootstrap.
  std::string compare;
  BootstrapOptions bootstrap;  // for every interval of the report
};

// One figure of the report.
struct ReportFile {
  std::string name;      // file name inside out_dir
  std::string contents;
};

// Renders report.md, report.html and the SVGs in memory (pure: no file is touched).
std::vector<ReportFile> render_report(const std::vector<RunData>& runs, const ReportOptions& options);

// Loads every run first (so that a bad file stops the report before anything is written),
// renders, then writes each file under a temporary name and renames them all into out_dir
// (created if needed). Returns the paths written, report.html and report.md last.
std::vector<std::string> write_report(const std::vector<std::string>& run_dirs, const ReportOptions& options);

// One line per run with per-pair test predictions: "RUN: <headline of train/pair_results.h>"
// (the report's headline, for a terminal).
std::vector<std::string> report_headlines(const std::vector<std::string>& run_dirs, const ReportOptions& options);

}  // namespace learner::train
