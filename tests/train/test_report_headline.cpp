// The report's headline and comparison sections on hand-made runs: baseline cells computed
// by hand, a run without per-pair predictions, and the errors of --compare.
#include "tests/util/test_util.h"
#include "train/report.h"

using namespace learner;
using namespace learner::train;

namespace {

RunData run_with_pairs(const std::string& name, const std::string& loss, const std::vector<int64_t>& predictions) {
  const std::vector<std::string> patients = {"A", "A", "B", "B", "C"};
  const std::vector<int64_t> labels = {1, 1, 1, 0, 2};
  RunData run;
  run.dir = "/runs/" + name;
  run.name = name;
  run.config = {{"loss", loss}};
  run.eval = classification_report(labels, predictions);
  PairOutcomes o;
  for (size_t i = 0; i < labels.size(); ++i) o.pairs.push_back({patients[i], labels[i], predictions[i]});
  run.test_pairs = o;
  run.train_support = {2, 6, 2};
  return run;
}

std::string markdown(const std::vector<ReportFile>& files) {
  for (const ReportFile& f : files)
    if (f.name == "report.md") return f.contents;
  return "";
}

}  // namespace

TEST_CASE("report headline: result, interval and the baselines by hand") {
  // Test labels (same, same, same, improved, deteriorated), training prior (0.2, 0.6, 0.2):
  // majority 'same': accuracy 60 %, macro F1 (2 * 0.6 / 1.6) / 3 = 0.250; stratified chance:
  // accuracy 0.04 + 0.36 + 0.04 = 44 %, macro F1 1/3.
  ReportOptions options;
  const std::string md = markdown(render_report({run_with_pairs("right", "mse", {1, 1, 1, 0, 2})}, options));
  CHECK(md.find("## Headline: test pairs against the baselines") < md.find("## Summary"));
  CHECK(md.find("| right | 5 (3) | 1.000 [") != std::string::npos);
  CHECK(md.find("| (same) 0.250 / 60.0 | 0.333 / 44.0 | +0.750 [") != std::string::npos);
  CHECK(md.find("predicting 'same' for every pair scores macro F1 0.250 and accuracy 60.0 %") != std::string::npos);

  // A run whose eval.json has no per-pair predictions gets its point values and '-'.
  RunData old = run_with_pairs("old", "mse", {1, 1, 1, 1, 1});
  old.test_pairs.reset();
  const std::string md2 = markdown(render_report({old}, options));
  CHECK(md2.find("| old | 5 | 0.250 | 60.0 | - | - | - |") != std::string::npos);
}

TEST_CASE("report --compare: verdict per group, and clear errors") {
  ReportOptions options;
  options.compare = "loss";
  const std::vector<RunData> runs = {run_with_pairs("m1", "mse", {1, 1, 1, 1, 1}),
                                     run_with_pairs("c1", "cl", {1, 1, 1, 0, 2})};
  const std::string md = markdown(render_report(runs, options));
  CHECK(md.find("## Comparisons by loss") != std::string::npos);
  CHECK(md.find("Verdict: loss cl - loss mse: macro F1 +0.750 [") != std::string::npos);

  CHECK_THROWS_WITH_AS(render_report({runs[0]}, options), doctest::Contains("nothing to compare"), Error);
  RunData no_key = runs[1];
  no_key.config = nlohmann::json::object();
  CHECK_THROWS_WITH_AS(render_report({runs[0], no_key}, options), doctest::Contains("has no 'loss' in its config.json"),
                       Error);
  RunData no_pairs = runs[1];
  no_pairs.test_pairs.reset();
  CHECK_THROWS_WITH_AS(render_report({runs[0], no_pairs}, options),
                       doctest::Contains("has no per-pair test predictions"), Error);
}
