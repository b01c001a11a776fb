// Honest numbers through the `learner` binary on a tiny cohort: eval.json's baselines,
// intervals and per-pair records, classify --class-weights, compare and report --compare,
// and the messages for bad input.
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::learner_ok;
using test::read_json;
using test::read_text;
using test::run_command;

TEST_CASE("honest stats: eval.json intervals, --class-weights, compare, report --compare") {
  test::TempDir dir("honest");
  const std::string b = test::learner_binary();
  auto fails = [&](const std::string& cmd, const std::string& message) {
    auto r = run_command(b + " " + cmd);
    CHECK_MESSAGE(r.exit_code != 0, cmd);
    CHECK_MESSAGE(r.output.find(message) != std::string::npos, cmd, "\n", r.output);
  };
  test::synth_and_pack(dir, "--split 0.5,0.25,0.25");
  learner_ok("pretrain --data " + (dir / "c.h5") + " --out " + (dir / "none") +
       " --frames 4 --batch 4 --epochs 1 --steps 3 --loss mse --device cpu --workers 1");
  REQUIRE(std::system(("cp -r " + (dir / "none") + " " + (dir / "balanced")).c_str()) == 0);

  // A bad word stops classify before any work, naming the word.
  fails("classify --run " + (dir / "none") + " --class-weights inverse",
        "--class-weights must be 'none' or 'balanced', got 'inverse'");

  learner_ok("classify --run " + (dir / "none") + " --epochs 3 --device cpu --workers 1");
  learner_ok("classify --run " + (dir / "balanced") + " --epochs 3 --device cpu --workers 1 --class-weights balanced");
  const nlohmann::json e = read_json(dir / "none/eval.json");
  CHECK(e["class_weights"] == "none");
  CHECK(read_json(dir / "balanced/eval.json")["class_weights"] == "balanced");
  CHECK(read_text(dir / "balanced/log.txt").find("class weights balanced") != std::string::npos);
  REQUIRE(e["pairs"].size() == e["num_samples"].get<size_t>());
  std::set<std::string> patients;
  for (const auto& p : e["pairs"]) {
    patients.insert(p["patient"].get<std::string>());
    CHECK(p["probabilities"].size() == 3);
    CHECK(p.contains("first_scan"));
  }
  const nlohmann::json& boot = e["bootstrap"];
  CHECK(boot["unit"] == "patient");
  CHECK(boot["resamples"] == 2000);
  CHECK(boot["num_patients"] == patients.size());
  CHECK(boot["macro_f1"][0].get<double>() <= e["macro_f1"].get<double>() + 1e-12);
  CHECK(boot["macro_f1"][1].get<double>() >= e["macro_f1"].get<double>() - 1e-12);
  CHECK(e["baselines"]["majority"].contains("class"));
  CHECK(e["train_support"].size() == 3);

  // eval prints the headline and writes the same format.
  const std::string table = learner_ok("eval --run " + (dir / "none") + " --split test --device cpu --workers 1");
  CHECK(table.find("bootstrap over patients); majority class (") != std::string::npos);
  const nlohmann::json again = read_json(dir / "none/eval_test.json");
  CHECK(again["pairs"] == e["pairs"]);
  CHECK(again["bootstrap"] == e["bootstrap"]);  // deterministic: same predictions, same seed

  const std::string verdict = learner_ok("compare --a " + (dir / "balanced") + " --b " + (dir / "none") +
                                   " --name-a balanced --name-b none --json " + (dir / "cmp.json"));
  CHECK(verdict.find("balanced - none: macro F1 ") == 0);
  const nlohmann::json cmp = read_json(dir / "cmp.json");
  CHECK(cmp["num_patients"] == patients.size());
  CHECK(cmp["verdict"].get<std::string>() == verdict.substr(0, verdict.find('\n')));

  const std::string printed = learner_ok("report " + (dir / "none") + " " + (dir / "balanced") + " --out " + (dir / "report") +
                                   " --compare class_weights");
  CHECK(printed.find("none: " + std::to_string(e["num_samples"].get<int>()) + " test pairs of ") != std::string::npos);
  const std::string md = read_text(dir / "report/report.md");
  CHECK(md.find("## Headline: test pairs against the baselines") < md.find("## Summary"));
  CHECK(md.find("## Comparisons by class_weights") != std::string::npos);
  CHECK(md.find("Verdict: class_weights balanced - class_weights none: macro F1 ") != std::string::npos);

  // Bad input: a folder without eval.json, an eval.json of an older learner, one group only.
  REQUIRE(std::system(("mkdir -p " + (dir / "empty")).c_str()) == 0);
  fails("compare --a " + (dir / "empty") + " --b " + (dir / "none"), "has no eval.json; run `learner classify");
  nlohmann::json old = e;
  old.erase("pairs");
  REQUIRE(std::system(("mkdir -p " + (dir / "old")).c_str()) == 0);
  std::ofstream(dir / "old/eval.json") << old.dump();
  fails("compare --a " + (dir / "old") + " --b " + (dir / "none"), "written by an older learner");
  fails("report " + (dir / "none") + " --out " + (dir / "r1") + " --compare class_weights", "nothing to compare");
  fails("compare --a " + (dir / "none") + " --b", "--b");
}
