// `learner report` end to end on small run folders written here: the files it produces and
// what they say, optional files missing, bad files as errors naming file and line with
// nothing left behind, and the command-line tool itself.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/error.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"
#include "tests/util/xml_check.h"
#include "train/report.h"

using namespace learner;
using namespace learner::train;
namespace fs = std::filesystem;

namespace {

void put(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A run folder as the training commands write it: pre-training with val each epoch and a
// final test record, a classifier stage, the Fig. 1 analysis and the test report.
fs::path make_run(const fs::path& root, const std::string& name, const std::string& loss, int seed,
                  const std::vector<int64_t>& predictions, double test_mae, bool optional_files = true) {
  const fs::path dir = root / name;
  fs::create_directories(dir);
  put(dir / "config.json", nlohmann::json{{"backbone", "tsm"}, {"loss", loss}, {"sim", "cos"}, {"lambda", 1.0},
                                          {"seed", seed}, {"out", dir.string()}}
                               .dump(2));
  std::string lines;
  int step = 0;
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (int b = 0; b < 7; ++b, ++step)
      lines += nlohmann::json{{"step", step}, {"epoch", epoch}, {"phase", "train"}, {"loss", 2.0 / (step + 1)},
                              {"mse", 1.0 / (step + 1)}, {"lr", 1e-3}, {"scan_ids", {"a", "b"}}}.dump() + "\n";
    lines += nlohmann::json{{"step", step}, {"epoch", epoch}, {"phase", "val"}, {"mae", 40.0 - epoch},
                            {"spearman", 0.1 * epoch}}.dump() + "\n";
  }
  lines += "\n";  // blank lines are fine
  lines += nlohmann::json{{"step", step}, {"epoch", 2}, {"phase", "test"}, {"mae", test_mae}, {"spearman", 0.25}}.dump() + "\n";
  for (int s = 0; s < 5; ++s)
    lines += nlohmann::json{{"step", s}, {"epoch", s}, {"phase", "classify_train"}, {"loss", 1.0 - 0.1 * s}}.dump() + "\n";
  put(dir / "metrics.jsonl", lines);
  if (optional_files) {
    const Tensor u = test::random_tensor({9, 4}, static_cast<uint64_t>(seed));
    const std::vector<float> scores = {100, 250, 300, 120, 480, 90, 200, 310, 410};
    put(dir / "embedding_analysis.json", to_json(embedding_analysis(u, scores), "test").dump());
    const std::vector<int64_t> labels = {0, 0, 1, 1, 1, 2, 2, 2, 1, 0};
    put(dir / "eval.json", to_json(classification_report(labels, predictions)).dump(2));
  }
  return dir;
}

std::vector<std::string> dir_entries(const fs::path& dir) {
  std::vector<std::string> names;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void check_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    FAIL("no error");
  } catch (const Error& e) {
    for (const std::string& n : needles) CHECK_MESSAGE(std::string(e.what()).find(n) != std::string::npos, e.what(), " lacks ", n);
  }
}

// Runs a shell command, returning its exit code and its stdout + stderr.
std::pair<int, std::string> run(const std::string& cmd, const fs::path& log) {
  const int status = std::system((cmd + " >" + log.string() + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(log)};
}

}  // namespace

TEST_CASE("report: two runs end to end") {
  test::TempPath tmp{"report"};
  const std::vector<int64_t> good = {0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, worse = {0, 1, 1, 2, 1, 2, 0, 2, 0, 0};
  const fs::path a = make_run(tmp.path, "mse_seed1", "mse", 1, worse, 30.5);
  const fs::path b = make_run(tmp.path, "cl_seed1", "cl", 1, good, 20.25);
  const fs::path out = tmp.path / "report";
  ReportOptions options;
  options.out_dir = out.string();
  const std::vector<std::string> written = write_report({a.string(), b.string()}, options);
  REQUIRE(written.size() >= 3);
  CHECK(fs::path(written.back()).filename() == "report.html");
  CHECK(fs::path(written[written.size() - 2]).filename() == "report.md");

  // Every file is there, nothing else (no temporary files), every SVG well formed.
  std::vector<std::string> expected;
  for (const std::string& w : written) expected.push_back(fs::path(w).filename().string());
  std::sort(expected.begin(), expected.end());
  CHECK(dir_entries(out) == expected);
  int svgs = 0;
  for (const std::string& name : expected)
    if (name.size() > 4 && name.substr(name.size() - 4) == ".svg") {
      ++svgs;
      const test::XmlSummary s = test::check_xml(test::read_file(out / name));
      CHECK_MESSAGE(s.ok, name, ": ", s.error);
    }
  for (const char* name : {"curves_pretrain_loss.svg", "curves_pretrain_mae.svg", "curves_pretrain_spearman.svg",
                           "curves_classify_loss.svg", "fig1_mse_seed1.svg", "fig1_cl_seed1.svg",
                           "fig1_mean_by_hs_difference.svg", "confusion_mse_seed1.svg", "confusion_cl_seed1.svg"})
    CHECK_MESSAGE(fs::exists(out / name), name);

  const std::string md = test::read_file(out / "report.md");
  // Summary rows: accuracy and F1 from eval.json, MAE and Spearman from the test record.
  const ClassificationReport cl = classification_report({0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, good);
  CHECK(cl.accuracy == 1.0);
  CHECK(md.find("| cl_seed1 | tsm | cl | cos | 1.0 | 1 | 100.00 | 1.000 | 20.250 | 0.250 |") != std::string::npos);
  const ClassificationReport mse = classification_report({0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, worse);
  char row[200];
  std::snprintf(row, sizeof row, "| mse_seed1 | tsm | mse | cos | 1.0 | 1 | %.2f | %.3f | 30.500 | 0.250 |",
                100 * mse.accuracy, mse.macro_f1);
  CHECK_MESSAGE(md.find(row) != std::string::npos, row);
  CHECK(md.find("![pretrain: loss](curves_pretrain_loss.svg)") != std::string::npos);
  CHECK(md.find("## Embedding analysis (paper Fig. 1)") != std::string::npos);
  CHECK(md.find("| deteriorated |") != std::string::npos);
  CHECK(md.find("Mean ± standard deviation") == std::string::npos);  // every configuration ran once
  CHECK(md.find("\"loss\": \"cl\"") != std::string::npos);           // the config, verbatim

  // The HTML holds the same figures inline and is well-formed XML after its doctype.
  const std::string html = test::read_file(out / "report.html");
  REQUIRE(html.rfind("<!DOCTYPE html>\n", 0) == 0);
  const test::XmlSummary h = test::check_xml(html.substr(std::strlen("<!DOCTYPE html>\n")));
  REQUIRE_MESSAGE(h.ok, h.error);
  CHECK(h.elements.at("svg") == svgs);
  CHECK(h.elements.at("figure") == svgs);
  CHECK(html.find("100.00") != std::string::npos);

  // Writing again into the same folder replaces the files.
  CHECK(write_report({a.string(), b.string()}, options).size() == written.size());
  CHECK(dir_entries(out) == expected);
}

TEST_CASE("report: runs of one configuration are averaged; same-named folders stay apart") {
  test::TempPath tmp{"report"};
  const std::vector<int64_t> half = {0, 0, 1, 1, 1, 0, 0, 0, 0, 1};  // 5 of 10 right
  const std::vector<int64_t> most = {0, 0, 1, 1, 1, 2, 2, 0, 0, 1};  // 7 of 10 right
  const fs::path a = make_run(tmp.path / "x", "run", "cl", 1, half, 10);
  const fs::path b = make_run(tmp.path / "y", "run", "cl", 2, most, 14);
  ReportOptions options;
  options.out_dir = (tmp.path / "out").string();
  write_report({a.string(), b.string()}, options);
  const std::string md = test::read_file(tmp.path / "out" / "report.md");
  CHECK(md.find("### Mean ± standard deviation over runs with the same backbone, loss, sim, lambda") != std::string::npos);
  // Accuracy 50 and 70: mean 60, sample std 14.14; MAE 10 and 14: 12 +- 2.828.
  CHECK_MESSAGE(md.find("| tsm | cl | cos | 1.0 | 2 | 60.00 ± 14.14 |") != std::string::npos, md);
  CHECK(md.find("| 12.000 ± 2.828 |") != std::string::npos);
  CHECK(md.find("| run (2) |") != std::string::npos);
  CHECK(fs::exists(tmp.path / "out" / "fig1_run.svg"));
  CHECK(fs::exists(tmp.path / "out" / "fig1_run_2.svg"));

  // --group-by a key that differs: no averaging.
  options.group_by = {"seed"};
  write_report({a.string(), b.string()}, options);
  CHECK(test::read_file(tmp.path / "out" / "report.md").find("Mean ± standard deviation") == std::string::npos);
}

TEST_CASE("report: missing optional files are skipped with a note") {
  test::TempPath tmp{"report"};
  const fs::path a = make_run(tmp.path, "bare", "mse", 3, {}, 12, false);
  fs::remove(a / "config.json");
  ReportOptions options;
  options.out_dir = (tmp.path / "out").string();
  write_report({a.string()}, options);
  const std::string md = test::read_file(tmp.path / "out" / "report.md");
  CHECK(md.find("Note: no config.json.") != std::string::npos);
  CHECK(md.find("Note: no embedding_analysis.json: Fig. 1 analysis skipped.") != std::string::npos);
  CHECK(md.find("Note: no eval.json: confusion matrix skipped.") != std::string::npos);
  CHECK(md.find("## Embedding analysis") == std::string::npos);
  CHECK(md.find("## Pair classification") == std::string::npos);
  CHECK(md.find("| bare | - | - | 12.000 | 0.250 |") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path / "out" / "fig1_bare.svg"));

  // A run that has just started (no records yet) and an undefined Spearman (null) still report.
  put(a / "metrics.jsonl", "");
  put(a / "embedding_analysis.json", "{\"pairs\": [[0.5, 10], [0.5, 20], [0.5, 30]], \"spearman\": null, \"split\": \"test\"}");
  write_report({a.string()}, options);
  const std::string md2 = test::read_file(tmp.path / "out" / "report.md");
  CHECK(md2.find("Note: metrics.jsonl has no records yet.") != std::string::npos);
  CHECK(md2.find("| bare | - | - | - | n/a |") != std::string::npos);
  CHECK(md2.find("## Training curves") == std::string::npos);
  CHECK(fs::exists(tmp.path / "out" / "fig1_bare.svg"));
}

TEST_CASE("report: a bad metrics.jsonl line is an error naming file and line; nothing is written") {
  test::TempPath tmp{"report"};
  const fs::path good = make_run(tmp.path, "good", "cl", 1, {0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, 10);
  const fs::path bad = make_run(tmp.path, "bad", "cl", 2, {0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, 10);
  const fs::path out = tmp.path / "out";
  ReportOptions options;
  options.out_dir = out.string();
  const std::string metrics = (bad / "metrics.jsonl").string();
  const std::string first = "{\"step\": 0, \"epoch\": 0, \"phase\": \"train\", \"loss\": 1.0}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"step\": 1, \"epoch\": 0, \"phase\": \"train\", \"loss\": 0.9", "not valid JSON"},
      {"{\"epoch\": 0, \"phase\": \"train\"}", "\"step\" must be an integer"},
      {"{\"step\": 1.5, \"epoch\": 0, \"phase\": \"train\"}", "\"step\" must be an integer"},
      {"{\"step\": 1, \"epoch\": \"0\", \"phase\": \"train\"}", "\"epoch\" must be an integer"},
      {"{\"step\": 1, \"epoch\": 0, \"phase\": 3}", "\"phase\" must be a non-empty string"},
      {"[1, 2]", "expected a JSON object"},
  };
  for (const auto& c : cases) {  // no structured binding: the lambda below cannot capture one (clang refuses)
    const auto& line = c.first;
    const auto& why = c.second;
    put(metrics, first + "\n" + line + "\n" + first);
    check_error([&] { write_report({good.string(), bad.string()}, options); }, {metrics + " line 3: ", why});
    CHECK_FALSE(fs::exists(out));
  }
  // A run folder without metrics.jsonl, and corrupt optional files.
  fs::remove(metrics);
  check_error([&] { write_report({good.string(), bad.string()}, options); }, {metrics, "not found"});
  put(metrics, first);
  put(bad / "eval.json", "{\"accuracy\": 0.5}");
  check_error([&] { write_report({bad.string()}, options); }, {(bad / "eval.json").string(), "not a classification report"});
  fs::remove(bad / "eval.json");
  put(bad / "embedding_analysis.json", "{\"pairs\": [[0.1, 2], [0.3]], \"spearman\": 0.1}");
  check_error([&] { write_report({bad.string()}, options); }, {(bad / "embedding_analysis.json").string(), "pair 1"});
  put(bad / "embedding_analysis.json", "{\"pairs\": [[0.1, 2]], ");
  check_error([&] { write_report({bad.string()}, options); }, {(bad / "embedding_analysis.json").string(), "not valid JSON"});
  fs::remove(bad / "embedding_analysis.json");
  put(bad / "config.json", "[]");
  check_error([&] { write_report({bad.string()}, options); }, {"config.json: expected a JSON object"});
  check_error([&] { write_report({(tmp.path / "nowhere").string()}, options); }, {"nowhere does not exist"});
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("report: run folder readers") {
  test::TempPath tmp{"report"};
  put(tmp.path / "m.jsonl", "{\"step\": 3, \"epoch\": 1, \"phase\": \"val\", \"mae\": 2.5, \"spearman\": null, "
                            "\"note\": \"x\", \"flag\": true}\n");
  const std::vector<MetricRecord> m = read_metrics_jsonl((tmp.path / "m.jsonl").string());
  REQUIRE(m.size() == 1);
  CHECK(m[0].step == 3);
  CHECK(m[0].phase == "val");
  CHECK(m[0].values == std::map<std::string, double>{{"mae", 2.5}});  // null, strings and booleans left out

  const nlohmann::json config = {{"seed", 4}, {"pretrain", {{"loss", "wcl"}, {"opt", {{"lr", 0.001}}}}}};
  CHECK(find_config_value(config, "seed")->get<int>() == 4);
  CHECK(find_config_value(config, "loss")->get<std::string>() == "wcl");
  CHECK(find_config_value(config, "pretrain.opt.lr")->get<double>() == 0.001);
  CHECK(find_config_value(config, "lr") != nullptr);
  CHECK(find_config_value(config, "pretrain.seed") == nullptr);
  CHECK(find_config_value(config, "backbone") == nullptr);

  put(tmp.path / "e.json", "{\"pairs\": [[0.5, 10]], \"spearman\": null, \"split\": \"val\"}");
  const EmbeddingPairs e = read_embedding_analysis((tmp.path / "e.json").string());
  CHECK(e.pairs == std::vector<std::pair<double, double>>{{0.5, 10}});
  CHECK(std::isnan(e.spearman));
  CHECK(e.split == "val");
}

TEST_CASE("report: the learner command") {
  const std::string learner = std::string(LEARNER_BUILD_DIR) + "/learner";
  REQUIRE_MESSAGE(fs::exists(learner), learner, " is not built (cmake --build build builds it with the tests)");
  test::TempPath tmp{"report"};
  const fs::path a = make_run(tmp.path, "one", "cl", 1, {0, 0, 1, 1, 1, 2, 2, 2, 1, 0}, 10);
  const fs::path out = tmp.path / "out";
  const fs::path log = tmp.path / "log.txt";
  int rc = 0;  // not a structured binding: clang 14 cannot capture one in CHECK
  std::string text;
  std::tie(rc, text) = run(learner + " report " + a.string() + " --out " + out.string(), log);
  CHECK_MESSAGE(rc == 0, text);
  CHECK(text.find("report.html") != std::string::npos);
  CHECK(fs::exists(out / "report.md"));
  CHECK(fs::exists(out / "confusion_one.svg"));

  put(a / "metrics.jsonl", "{\"step\": 0, \"epoch\": 0, \"phase\": \"train\"}\nnot json\n");
  const fs::path out2 = tmp.path / "out2";
  std::tie(rc, text) = run(learner + " report " + a.string() + " --out " + out2.string(), log);
  CHECK(rc == 1);
  CHECK_MESSAGE(text.find("learner: error: " + (a / "metrics.jsonl").string() + " line 2: not valid JSON") !=
                    std::string::npos, text);
  CHECK_FALSE(fs::exists(out2));

  std::tie(rc, text) = run(learner + " report " + a.string(), log);  // no --out
  CHECK(rc != 0);
  CHECK(text.find("--out") != std::string::npos);
}
