// The whole pipeline through the `learner` binary on tiny cohorts: synth -> pack ->
// pretrain -> classify -> eval -> embed -> report, every output checked; and a learning
// check: where the answer is easy, pretrain + classify beats chance by a clear margin.
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "framework/random.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::learner_ok;
using test::read_json;
using test::run_command;

namespace {

std::string tfevents_in(const std::string& dir) {
  for (const std::string& name : test::list_dir(dir))
    if (name.rfind("events.out.tfevents.", 0) == 0) return dir + "/" + name;
  return "";
}

}  // namespace

TEST_CASE("pipeline: synth -> pack -> pretrain -> classify -> eval -> embed -> report") {
  test::TempDir dir("pipeline");
  test::synth_and_pack(dir, "--split 0.5,0.25,0.25");
  learner_ok("pretrain --data " + (dir / "c.h5") + " --out " + (dir / "run") +
       " --frames 4 --batch 4 --epochs 2 --steps 5 --loss wcl --device cpu --workers 1");
  learner_ok("classify --run " + (dir / "run") + " --epochs 3 --device cpu --workers 1");
  const std::string table = learner_ok("eval --run " + (dir / "run") + " --split all --device cpu --workers 1");
  CHECK(table.find("macro F1") != std::string::npos);
  learner_ok("embed --checkpoint " + (dir / "run/checkpoints/best.safetensors") + " --data " + (dir / "c.h5") + " --out " +
       (dir / "emb.h5") + " --frames 4 --device cpu");
  learner_ok("report " + (dir / "run") + " --out " + (dir / "report"));

  for (const char* f : {"config.json", "metrics.jsonl", "log.txt", "checkpoints/best.safetensors",
                        "checkpoints/last.safetensors", "checkpoints/classifier.safetensors", "eval_all.json"})
    CHECK_MESSAGE(test::file_exists(dir / ("run/" + std::string(f))), f);
  CHECK(read_json(dir / "run/config.json")["loss"] == "wcl");
  CHECK(read_json(dir / "run/eval_all.json").contains("macro_f1"));
  CHECK(test::file_exists(dir / "report/report.html"));
  CHECK(test::file_exists(dir / "report/report.md"));

  // Every metrics line parses and names its phase; pretrain and classify both logged.
  std::ifstream metrics(dir / "run/metrics.jsonl");
  std::set<std::string> phases;
  for (std::string line; std::getline(metrics, line);) phases.insert(nlohmann::json::parse(line)["phase"]);
  CHECK(phases.count("train") == 1);
  CHECK(phases.count("classify_train") == 1);

  // The TensorBoard file, read back by an independent Python reader that checks every CRC.
  const std::string events = tfevents_in(dir / "run");
  REQUIRE(!events.empty());
  auto read = run_command("/usr/bin/python3 " + std::string(LEARNER_SOURCE_DIR) + "/tests/tfevents/read_tfevents.py " + events);
  REQUIRE_MESSAGE(read.exit_code == 0, read.output);
  CHECK(read.output.find("train/loss") != std::string::npos);

  // The embeddings file opens in h5py with the documented datasets.
  auto h5 = run_command("/usr/bin/python3 -c \"import h5py; f = h5py.File('" + (dir / "emb.h5") +
                        "'); print(f['embeddings'].shape[1], len(f['scan_id']), sorted(f.keys()))\"");
  REQUIRE_MESSAGE(h5.exit_code == 0, h5.output);
  CHECK(h5.output.find("512") == 0);
  CHECK(h5.output.find("'prediction'") != std::string::npos);
}

TEST_CASE("pipeline: bad stage-2 input fails clearly") {
  test::TempDir dir("pipeline_bad");
  const std::string b = test::learner_binary();
  auto no_run = run_command(b + " classify --run " + dir.path());
  CHECK(no_run.exit_code != 0);
  CHECK(no_run.output.find("is not a run folder") != std::string::npos);
  auto bad_split = run_command(b + " eval --run " + dir.path() + " --split holdout");
  CHECK(bad_split.exit_code != 0);
  CHECK(bad_split.output.find("holdout") != std::string::npos);
}

TEST_CASE("pipeline: on an easy cohort pretrain + classify beats chance clearly") {
  // Each scan's frames are gray at a level set by its score category, plus noise; patients
  // move up, stay or move down one category between scans in equal measure.
  test::TempDir dir("pipeline_easy");
  Generator gen(11);
  const float centers[4] = {90.f, 227.f, 352.f, 465.f};
  std::ofstream manifest(dir / "manifest.csv");
  manifest << "patient_id,scan_id,order,score,path\n";
  for (int p = 0; p < 60; ++p) {
    int category = static_cast<int>(gen.randint(4));
    for (int s = 0; s < 3; ++s) {
      if (s > 0) {
        const int move = static_cast<int>(gen.randint(3)) - 1;  // -1, 0, +1
        category = std::min(3, std::max(0, category + move));
      }
      const std::string clip = "clips/p" + std::to_string(p) + "s" + std::to_string(s);
      std::system(("mkdir -p " + (dir / clip)).c_str());
      for (int f = 0; f < 4; ++f) {
        cv::Mat frame(32, 32, CV_8UC1);
        for (int i = 0; i < 32 * 32; ++i)
          frame.data[i] = static_cast<uint8_t>(std::min(255.f, 30.f + 55.f * category + gen.uniform(0.f, 20.f)));
        cv::imwrite(dir / (clip + "/f" + std::to_string(f) + ".png"), frame);
      }
      manifest << "P" << p << ",P" << p << "S" << s << "," << s + 1 << "," << centers[category] + gen.uniform(-20.f, 20.f)
               << "," << clip << "\n";
    }
  }
  manifest.close();
  learner_ok("pack --manifest " + (dir / "manifest.csv") + " --out " + (dir / "e.h5") + " --size 32 --split 0.5,0.2,0.3");
  learner_ok("pretrain --data " + (dir / "e.h5") + " --out " + (dir / "run") +
       " --loss mse --frames 4 --batch 8 --epochs 6 --lr 0.001 --device cpu --workers 1 --seed 1");
  learner_ok("classify --run " + (dir / "run") + " --epochs 60 --device cpu --workers 1 --seed 1");
  const nlohmann::json report = read_json(dir / "run/eval.json");
  MESSAGE("easy cohort, test pairs: accuracy ", report["accuracy"].get<double>(), ", macro F1 ",
          report["macro_f1"].get<double>());
  CHECK(report["accuracy"].get<double>() >= 0.6);   // chance: 1/3
  CHECK(report["macro_f1"].get<double>() >= 0.5);
}
