// `learner compare`: two groups of runs (for example the seeds of MSE + CL against the seeds
// of MSE), each group's test predictions pooled over its runs, compared by the paired
// patient bootstrap of train/stats.h, with a one-line verdict.
#pragma once

#include <string>
#include <vector>

#include "train/stats.h"

namespace learner::train {

// The test pairs of every run in `dirs` (RUN/eval.json), pooled. Throws a user-facing Error
// when the group is empty, a folder has no eval.json or no per-pair predictions, or two runs
// of the group were tested on different patients.
PairOutcomes load_group_outcomes(const std::vector<std::string>& dirs, const std::string& group);

struct CompareOptions {
  std::vector<std::string> a, b;  // run folders
  std::string name_a = "A", name_b = "B";
  BootstrapOptions bootstrap;
  std::string json_out;           // optional: the result as JSON
};

// Prints the verdict line (and writes json_out when set); returns the difference.
PairedDifference run_compare(const CompareOptions& options);

}  // namespace learner::train
