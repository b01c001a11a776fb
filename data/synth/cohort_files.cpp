// Writing the synthetic cohort to disk: one folder of PNG frames per clip, manifest.csv in
// the columns `learner pack` reads (docs/format.md) and truth.csv with the hidden variables.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <vector>

#include "data/synth/cohort.h"
#include "base/error.h"

namespace learner::data::synth {

namespace fs = std::filesystem;

namespace {

void write_clip(const Cohort& cohort, const SynthScan& scan, int size, const fs::path& folder) {
  const int F = scan.look.frames;
  std::vector<uint8_t> pixels(static_cast<size_t>(F) * size * size);  // (F, H, W)
  render_clip(cohort.patients[scan.patient], scan.look, size, pixels.data());
  fs::create_directories(folder);
  // Level 1: speckle barely compresses, so higher levels cost time for a few percent.
  const std::vector<int> params = {cv::IMWRITE_PNG_COMPRESSION, 1};
  for (int f = 0; f < F; ++f) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%04d.png", f);
    const cv::Mat frame(size, size, CV_8UC1, pixels.data() + static_cast<size_t>(f) * size * size);
    const fs::path file = folder / name;
    LEARNER_CHECK(cv::imwrite(file.string(), frame, params), "synth: cannot write ", file.string());
  }
}

}  // namespace

void write_cohort(const Cohort& cohort, const CohortOptions& options, const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  LEARNER_CHECK(!ec, "synth: cannot create the output folder '", dir, "': ", ec.message());
  // The manifest goes last, so an interrupted run leaves no manifest that names missing clips.
  fs::remove(root / "manifest.csv", ec);

  const int64_t n = static_cast<int64_t>(cohort.scans.size());
  std::vector<std::exception_ptr> errors(n);
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < n; ++i) {
    try {
      write_clip(cohort, cohort.scans[i], options.size, root / cohort.scans[i].path);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);

  std::ofstream truth(root / "truth.csv");
  truth << "scan_id,patient_id,order,trajectory,true_sf,score,severity,b_lines,frames\n";
  char line[256];
  for (const SynthScan& s : cohort.scans) {
    std::snprintf(line, sizeof line, "%s,%s,%d,%s,%.1f,%.1f,%.4f,%d,%d\n", s.scan_id.c_str(),
                  s.patient_id.c_str(), s.order, trajectory_name(s.trajectory), s.true_sf, s.score,
                  s.look.severity, s.look.b_lines, s.look.frames);
    truth << line;
  }
  LEARNER_CHECK(truth.good(), "synth: cannot write ", (root / "truth.csv").string());

  const fs::path manifest_path = root / "manifest.csv";
  const fs::path tmp = root / "manifest.csv.tmp";
  {
    std::ofstream manifest(tmp);
    manifest << "patient_id,scan_id,order,date,score,path,modality,fps\n";
    for (const SynthScan& s : cohort.scans) {
      std::snprintf(line, sizeof line, "%s,%s,%d,%s,%.1f,%s,lus,%g\n", s.patient_id.c_str(),
                    s.scan_id.c_str(), s.order, s.date.c_str(), s.score, s.path.c_str(),
                    static_cast<double>(options.fps));
      manifest << line;
    }
    LEARNER_CHECK(manifest.good(), "synth: cannot write ", tmp.string());
  }
  fs::rename(tmp, manifest_path);
}

}  // namespace learner::data::synth
