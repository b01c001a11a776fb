// Patient-level k-fold cross-validation: the fold assignment by hand, and `learner cv` end to
// end on a tiny cohort: every patient tested exactly once, pooled results, resume.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "data/splits.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"
#include "train/cv.h"

using namespace learner;
using test::learner_ok;
using test::read_json;
using test::run_command;

TEST_CASE("cv folds: sorted by the split key, i-th patient to fold i mod K") {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back("P" + std::to_string(i));
  ids.push_back("P3");  // duplicates are one patient
  const std::map<std::string, int> folds = train::assign_folds(ids, 3, 7);
  REQUIRE(folds.size() == 10);
  std::vector<std::pair<uint64_t, std::string>> keyed;
  for (int i = 0; i < 10; ++i) keyed.emplace_back(data::patient_split_key("P" + std::to_string(i), 7), "P" + std::to_string(i));
  std::sort(keyed.begin(), keyed.end());
  std::vector<int> sizes(3, 0);
  for (size_t i = 0; i < keyed.size(); ++i) {
    CHECK(folds.at(keyed[i].second) == static_cast<int>(i % 3));
    ++sizes[folds.at(keyed[i].second)];
  }
  CHECK(sizes == std::vector<int>{4, 3, 3});
  CHECK(train::assign_folds(ids, 3, 7) == folds);
  CHECK(train::assign_folds(ids, 3, 8) != folds);
  CHECK_THROWS_WITH_AS(train::assign_folds(ids, 2, 7), doctest::Contains("--folds must be at least 3"), Error);
  CHECK_THROWS_WITH_AS(train::assign_folds({"A", "B"}, 3, 7), doctest::Contains("2 patients cannot fill 3 folds"), Error);
}

TEST_CASE("cv: every patient tested once, pooled eval.json, resume after a lost fold") {
  test::TempDir dir("cv");
  const std::string b = test::learner_binary();
  test::synth_and_pack(dir);
  const std::string cv = "cv --data " + (dir / "c.h5") + " --out " + (dir / "study") +
                         " --folds 3 --loss mse --frames 4 --batch 4 --epochs 1 --steps 2 --classify-epochs 3 "
                         "--device cpu --workers 1";
  auto bad = run_command(b + " " + cv + " --class-weights inverse");
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("--class-weights must be 'none' or 'balanced', got 'inverse'") != std::string::npos);

  const std::string first = learner_ok(cv);
  CHECK(first.find("pooled over 3 folds: ") != std::string::npos);
  const nlohmann::json pooled = read_json(dir / "study/eval.json");
  const nlohmann::json summary = read_json(dir / "study/cv.json");
  REQUIRE(summary["per_fold"].size() == 3);
  // Each patient's pairs come from one fold only, and every patient with a pair is there.
  std::map<std::string, std::set<int>> folds_of;
  for (int k = 0; k < 3; ++k) {
    const nlohmann::json fold = read_json(dir / ("study/fold-" + std::to_string(k) + "/run/eval.json"));
    for (const auto& p : fold["pairs"]) folds_of[p["patient"].get<std::string>()].insert(k);
  }
  // Not a structured binding: doctest's CHECK is a lambda, and C++17 cannot capture one (clang refuses).
  for (const auto& entry : folds_of) CHECK_MESSAGE(entry.second.size() == 1, entry.first);
  std::ifstream manifest(dir / "synth/manifest.csv");
  std::map<std::string, int> scans_of;
  std::string line;
  std::getline(manifest, line);
  while (std::getline(manifest, line)) ++scans_of[line.substr(0, line.find(','))];
  size_t with_pairs = 0;
  for (const auto& [patient, n] : scans_of) with_pairs += n >= 2;
  CHECK(folds_of.size() == with_pairs);
  CHECK(pooled["bootstrap"]["num_patients"] == with_pairs);

  // A lost fold result is made again; the finished folds are kept.
  std::filesystem::remove(dir / "study/fold-1/run/eval.json");
  const std::string second = learner_ok(cv);
  CHECK(second.find("fold 2 of 3: resuming pretrain") != std::string::npos);
  CHECK(second.find("fold 1 of 3") == std::string::npos);
  CHECK(read_json(dir / "study/eval.json")["pairs"] == pooled["pairs"]);
  // A study is compared like a run: with itself, the difference is 0.
  const std::string same = learner_ok("compare --a " + (dir / "study") + " --b " + (dir / "study"));
  CHECK(same.find("macro F1 +0.000 [+0.000, +0.000], not shown") != std::string::npos);
}
