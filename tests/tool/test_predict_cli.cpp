// `learner predict` end to end: a tiny trained run applied to files packed nowhere before
// (PNG folders, NIfTI, DICOM cine and DICOM series), the same predictions as eval for files
// that were packed (so predict reads files exactly as pack does), and strict bad input with
// no output left behind.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/util/data_test_util.h"
#include "tests/util/source_files.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

using test::read_json;

TEST_CASE("predict: new DICOM, NIfTI and PNG files; agrees with eval on packed files; strict input") {
  test::TempDir dir("predict");
  const std::string b = test::learner_binary();
  auto step = [&](const std::string& cmd) {
    auto r = run_command(b + " " + cmd);
    REQUIRE_MESSAGE(r.exit_code == 0, cmd, "\n", r.output);
    return r.output;
  };
  auto fails = [&](const std::string& cmd, const std::string& message) {
    auto r = run_command(b + " " + cmd);
    CHECK_MESSAGE(r.exit_code != 0, cmd);
    CHECK_MESSAGE(r.output.find(message) != std::string::npos, cmd, "\n", r.output);
  };
  step("synth --fast --patients 10 --seed 4 --out " + (dir / "synth"));
  step("pack --manifest " + (dir / "synth/manifest.csv") + " --out " + (dir / "c.h5") + " --size 32 --split 0.5,0.25,0.25");
  step("pretrain --data " + (dir / "c.h5") + " --out " + (dir / "run") +
       " --frames 4 --batch 4 --epochs 1 --steps 2 --loss mse --device cpu --workers 1");
  const std::string run = dir / "run";
  // Before classify the run has no pair classifier: predict says so and what to run.
  test::write_png_folder(dir / "new/a1", 6, 20, 30);
  fails("predict --run " + run + " --scans " + (dir / "new/a1") + " " + (dir / "synth/clips/P0001/S1"),
        "has no pair classifier");
  step("classify --run " + run + " --epochs 3 --device cpu --workers 1");
  fails("predict --run " + run + " --scans " + (dir / "new/a1") + " " + (dir / "new/a1") + "x", "does not exist");
  fails("predict --run " + run + " --scans " + (dir / "new/a1") + " " + (dir / "new/a1"), "twice");

  SUBCASE("the packed files' test pairs get eval.json's probabilities") {
    step("predict --run " + run + " --manifest " + (dir / "synth/manifest.csv") + " --out " + (dir / "again") +
         " --device cpu --workers 1");
    const nlohmann::json e = read_json(run + "/eval.json");
    const nlohmann::json p = read_json(dir / "again/predictions.json");
    std::map<std::string, nlohmann::json> predicted;
    for (const auto& q : p["pairs"]) predicted[q["first_scan"].get<std::string>()] = q;
    REQUIRE(!e["pairs"].empty());
    const char* names[] = {"improved", "same", "deteriorated"};
    for (const auto& q : e["pairs"]) {
      const nlohmann::json& mine = predicted.at(q["first_scan"].get<std::string>());
      CHECK(mine["second_scan"] == q["second_scan"]);
      CHECK(mine["change"] == names[q["label"].get<int>()]);  // scores given: the true change
      CHECK(mine["predicted_change"] == names[q["prediction"].get<int>()]);
      for (int c = 0; c < 3; ++c)
        CHECK(mine["probabilities"][names[c]].get<double>() == doctest::Approx(q["probabilities"][c].get<double>()).epsilon(1e-5));
    }
  }

  SUBCASE("files packed nowhere before, without scores; --scans") {
    test::write_png_folder(dir / "new/a2", 12, 24, 24);
    test::write_nifti(dir / "new/b1.nii.gz", 9, 8, 6);
    test::write_dicom_multiframe(dir / "new/b2.dcm", 5, 10, 12);
    test::write_dicom_series(dir / "new/c1", 4, 9, 9);
    test::write_dicom_multiframe(dir / "new/c2.dcm", 7, 16, 16);
    test::write_text(dir / "new/manifest.csv",
                     "patient_id,scan_id,order,path\n"
                     "A,a2,2,a2\nA,a1,1,a1\n"  // out of order: pairs follow the order column
                     "B,b1,1,b1.nii.gz\nB,b2,2,b2.dcm\n"
                     "C,c1,1,c1\nC,c2,2,c2.dcm\n"
                     "D,d1,1,a1\n");  // one scan: a health score, no pair
    const std::string out = step("predict --run " + run + " --manifest " + (dir / "new/manifest.csv") + " --out " +
                                 (dir / "pred") + " --device cpu --workers 1");
    CHECK(out.find("7 scans, 3 pairs") != std::string::npos);
    const nlohmann::json p = read_json(dir / "pred/predictions.json");
    REQUIRE(p["pairs"].size() == 3);
    CHECK(p["pairs"][0]["first_scan"] == "a1");
    CHECK(p["pairs"][0]["second_scan"] == "a2");
    CHECK(p["pairs"][1]["first_scan"] == "b1");
    CHECK(p["pairs"][2]["second_scan"] == "c2");
    for (const auto& q : p["pairs"]) {
      double total = 0;
      for (const auto& [name, v] : q["probabilities"].items()) total += v.get<double>();
      CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
      CHECK(q["change"].is_null());
      CHECK(q["embedding_distance"].get<double>() >= 0.0);
      CHECK(std::isfinite(q["first_predicted_score"].get<double>()));
    }
    REQUIRE(p["scans"].size() == 7);
    CHECK(p["scans"][0]["scan"] == "a2");  // manifest order
    CHECK(p["scans"][0]["frames"] == 12);
    CHECK(p["scans"][0]["score"].is_null());
    const std::string csv = test::read_file(dir / "pred/predictions.csv");
    CHECK(csv.rfind("patient_id,first_scan,second_scan,predicted_change,p_improved,p_same,p_deteriorated,"
                    "embedding_distance,first_predicted_score,second_predicted_score,first_score,second_score,change\n",
                    0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);

    // Two files of one patient on the command line: the same numbers as in the manifest.
    const std::string two = step("predict --run " + run + " --scans " + (dir / "new/b1.nii.gz") + " " +
                                 (dir / "new/b2.dcm") + " --device cpu --workers 1");
    const size_t at = csv.find("\nB,b1,b2,");
    REQUIRE(at != std::string::npos);
    std::string rest = csv.substr(at + 9);
    rest = rest.substr(0, rest.find('\n'));
    CHECK_MESSAGE(two.find("patient,b1.nii.gz,b2.dcm," + rest) != std::string::npos, two, "\n", rest);
  }

  SUBCASE("bad input: named, non-zero exit, nothing written") {
    test::write_png_folder(dir / "bad/a2", 6, 20, 30);
    test::write_png_folder(dir / "bad/corrupt", 6, 20, 30);
    test::write_text(dir / "bad/corrupt/frame3.png", "not a PNG");
    const std::string m = dir / "bad/manifest.csv";
    const std::string cmd = "predict --run " + run + " --manifest " + m + " --out " + (dir / "bad/out") + " --device cpu";
    test::write_text(m, "patient_id,scan_id,order,path\nA,a1,1,nowhere\nA,a2,2,a2\n");
    fails(cmd, "line 2 (scan 'a1')");
    test::write_text(m, "patient_id,scan_id,order,path\nA,a1,1,corrupt\nA,a2,2,a2\n");
    fails(cmd, "line 2 (scan 'a1')");
    test::write_text(m, "patient_id,scan_id,path\nA,a1,a2\n");
    fails(cmd, "missing required column 'order'");
    test::write_text(m, "patient_id,scan_id,order,path,score\nA,a1,first,a2,200\n");
    fails(cmd, "line 2, column 'order'");
    test::write_text(m, "patient_id,scan_id,order,path,score\nA,a1,1,a2,900\n");
    fails(cmd, "lies outside the score range");
    test::write_text(m, "patient_id,scan_id,order,path\nA,a1,1,a2\n");
    fails(cmd, "no patient has two scans");
    fails("predict --run " + run + " --manifest " + m, "--manifest needs --out");
    fails("predict --run " + run + " --manifest " + m + " --out x --scans a b", "excludes");
    // A damaged classifier file is named.
    REQUIRE(std::system(("cp -r " + run + " " + (dir / "broken")).c_str()) == 0);
    test::truncate_file(dir / "broken/checkpoints/classifier.safetensors", 100);
    test::write_text(m, "patient_id,scan_id,order,path\nA,a1,1,a2\nA,a2,2,a2\n");
    fails("predict --run " + (dir / "broken") + " --manifest " + m + " --out " + (dir / "bad/out") + " --device cpu",
          "classifier.safetensors");
    CHECK(!test::file_exists(dir / "bad/out/predictions.csv"));
    CHECK(!test::file_exists(dir / "bad/out/predictions.json"));
    // A good run then writes both files.
    step(cmd);
    CHECK(test::file_exists(dir / "bad/out/predictions.csv"));
  }
}
