// The synthetic cohort: a pure function of its options, near the paper's cohort in size, a
// manifest that `learner pack` parses, and images that follow severity.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "data/manifest.h"
#include "data/synth/cohort.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using namespace learner::data;
using namespace learner::data::synth;

namespace {

// Every file under `dir` (relative name -> bytes).
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      files[std::filesystem::relative(e.path(), dir).string()] = test::read_file(e.path().string());
  return files;
}

}  // namespace

TEST_CASE("synth cohort plan: the paper's size, consistent ids and orders, deterministic") {
  CohortOptions o;
  o.seed = 3;
  const Cohort c = plan_cohort(o);
  CHECK(c.patients.size() == 189);
  CHECK(c.scans.size() > 650);
  CHECK(c.scans.size() < 790);
  std::map<std::string, int> per_patient;
  std::set<std::string> ids;
  std::map<Trajectory, int> trajectories;
  for (const SynthScan& s : c.scans) {
    CHECK(s.order == ++per_patient[s.patient_id]);  // 1, 2, ... in file order
    CHECK(ids.insert(s.scan_id).second);
    CHECK(s.score >= 60.f);
    CHECK(s.score <= 476.f);
    CHECK(s.look.severity >= 0.f);
    CHECK(s.look.severity <= 1.f);
    CHECK(s.look.frames >= o.min_frames);
    CHECK(s.look.frames <= o.max_frames);
    if (s.order == 1) ++trajectories[s.trajectory];
  }
  for (const auto& entry : per_patient) {
    const auto count = entry.second;  // not a structured binding: clang 14 cannot capture one
    CHECK(count >= 2);
    CHECK(count <= 6);
  }
  CHECK(trajectories.size() == 3);
  // Recorded scores are noisy: they differ from the true S/F, by about score_noise.
  double sq = 0;
  for (const SynthScan& s : c.scans) sq += (s.score - s.true_sf) * (s.score - s.true_sf);
  const double rms = std::sqrt(sq / c.scans.size());
  CHECK(rms > 10.0);
  CHECK(rms < 20.0);

  const Cohort again = plan_cohort(o);
  REQUIRE(again.scans.size() == c.scans.size());
  for (size_t i = 0; i < c.scans.size(); ++i) {
    CHECK(again.scans[i].score == c.scans[i].score);
    CHECK(again.scans[i].look.seed == c.scans[i].look.seed);
  }
  o.seed = 4;
  const Cohort other = plan_cohort(o);
  CHECK((other.scans.size() != c.scans.size() || other.scans[0].score != c.scans[0].score));
}

TEST_CASE("synth severity: monotone in S/F, B-lines grow with severity") {
  CHECK(severity_from_sf(476.f) == 0.f);
  CHECK(severity_from_sf(100.f) == 1.f);
  for (float sf = 150.f; sf < 460.f; sf += 10.f) CHECK(severity_from_sf(sf) > severity_from_sf(sf + 10.f));
  CHECK(expected_b_lines(0.05f) == 0.f);
  for (float s = 0.15f; s < 1.f; s += 0.1f) CHECK(expected_b_lines(s + 0.1f) > expected_b_lines(s));
}

TEST_CASE("synth renderer: deterministic; the lung brightens with severity") {
  const Cohort c = plan_cohort(CohortOptions::fast());
  const PatientLook& patient = c.patients[0];
  ScanLook scan = c.scans[0].look;
  const int size = 48;
  auto lung_mean = [&](float severity) {
    scan.severity = severity;
    scan.b_lines = static_cast<int>(std::lround(expected_b_lines(severity)));
    std::vector<uint8_t> px(static_cast<size_t>(scan.frames) * size * size);
    render_clip(patient, scan, size, px.data());
    double sum = 0;
    for (int f = 0; f < scan.frames; ++f)
      for (int r = size / 2; r < size; ++r)
        for (int x = 0; x < size; ++x) sum += px[(static_cast<size_t>(f) * size + r) * size + x];
    return sum / (scan.frames * size * size / 2);
  };
  CHECK(lung_mean(0.9f) > lung_mean(0.1f) + 5.0);
  CHECK(lung_mean(0.5f) == lung_mean(0.5f));
}

TEST_CASE("synth writes a valid manifest and the same bytes for any thread count") {
  test::TempDir one("synth1"), two("synth2");
  CohortOptions o = CohortOptions::fast();
  o.patients = 3;
  o.seed = 11;
  const Cohort c = plan_cohort(o);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  write_cohort(c, o, one.path());
  omp_set_num_threads(std::max(2, threads));
  write_cohort(c, o, two.path());
  omp_set_num_threads(threads);
  CHECK(snapshot(one.path()) == snapshot(two.path()));

  const Manifest m = read_manifest(one / "manifest.csv");
  REQUIRE(m.rows.size() == c.scans.size());
  for (size_t i = 0; i < c.scans.size(); ++i) {
    const ScanRecord& r = m.rows[i].record;
    CHECK(r.patient_id == c.scans[i].patient_id);
    CHECK(r.scan_id == c.scans[i].scan_id);
    CHECK(r.order == c.scans[i].order);
    CHECK(r.score == doctest::Approx(c.scans[i].score));
    CHECK(r.modality == "lus");
    CHECK(test::list_dir(m.rows[i].resolved_path).size() == static_cast<size_t>(c.scans[i].look.frames));
  }
  CHECK(test::file_exists(one / "truth.csv"));
  CHECK_THROWS_WITH_AS(plan_cohort([] { CohortOptions b; b.patients = 0; return b; }()),
                       "synth: --patients must be at least 1, got 0", Error);
}

TEST_CASE("learner synth command: writes a cohort, the same for the same seed; bad flags") {
  test::TempDir a("synth_cli_a"), b("synth_cli_b");
  const std::string tool = test::learner_binary();
  const test::CommandResult ra = test::run_command(tool + " synth --fast --patients 2 --seed 5 --out " + a.path());
  REQUIRE_MESSAGE(ra.exit_code == 0, ra.output);
  CHECK(ra.output.find("synth: 2 patients") != std::string::npos);
  const test::CommandResult rb = test::run_command(tool + " synth --fast --patients 2 --seed 5 --out " + b.path());
  REQUIRE(rb.exit_code == 0);
  CHECK(snapshot(a.path()) == snapshot(b.path()));
  const test::CommandResult bad = test::run_command(tool + " synth --fast --size 8 --out " + a.path());
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("synth: --size must be in [16, 1024], got 8") != std::string::npos);
}

namespace {
// Shares of improved, same, deteriorated among a cohort's consecutive pairs (recorded scores).
std::array<double, 3> pair_shares_of(const Cohort& cohort) {
  const CohortPairLabels labels = cohort_pair_labels(cohort);
  std::array<double, 3> shares = {0, 0, 0};
  for (const int l : labels.recorded) shares[static_cast<size_t>(l)] += 1.0 / static_cast<double>(labels.recorded.size());
  return shares;
}
}  // namespace

TEST_CASE("synth --pair-shares: the pair labels follow the shares; changes stay small; the default is unchanged") {
  CohortOptions o;
  o.patients = 400;
  o.seed = 11;
  const Cohort trajectories = plan_cohort(o);
  for (const std::array<float, 3>& want : {std::array<float, 3>{0.2f, 0.6f, 0.2f}, std::array<float, 3>{0.4f, 0.2f, 0.4f},
                                           std::array<float, 3>{0.f, 1.f, 0.f}}) {
    CAPTURE(want[0]);
    CAPTURE(want[1]);
    o.pair_shares = want;
    const Cohort cohort = plan_cohort(o);
    const std::array<double, 3> got = pair_shares_of(cohort);
    for (size_t c = 0; c < 3; ++c) CHECK(std::abs(got[c] - want[c]) <= 0.035);
    // The recorded label is the true label (noise never crosses an edge), and a change moves
    // the S/F into the neighbouring category only.
    const CohortPairLabels labels = cohort_pair_labels(cohort);
    CHECK(labels.recorded == labels.from_true);
    for (size_t i = 1; i < cohort.scans.size(); ++i) {
      if (cohort.scans[i].patient != cohort.scans[i - 1].patient) continue;
      const float step = std::abs(cohort.scans[i].true_sf - cohort.scans[i - 1].true_sf);
      CHECK(step <= 200.f);
    }
    // The same patients (ids, scan counts, looks) as without shares: only the S/F differs.
    REQUIRE(cohort.scans.size() == trajectories.scans.size());
    CHECK(cohort.scans.back().scan_id == trajectories.scans.back().scan_id);
    CHECK(plan_cohort(o).scans.back().score == cohort.scans.back().score);  // same seed, same cohort
  }
  // Without shares the trajectory model is unchanged: improvement is more common than deterioration.
  const std::array<double, 3> base = pair_shares_of(trajectories);
  CHECK(base[1] > 0.6);
  CHECK(base[0] > base[2]);
}

TEST_CASE("learner synth --pair-shares and --plan-only: the mix and the difficulty are printed; bad shares named") {
  const std::string tool = test::learner_binary();
  const test::CommandResult r =
      test::run_command(tool + " synth --plan-only --patients 300 --seed 3 --pair-shares 0.25,0.5,0.25");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("nothing written") != std::string::npos);
  CHECK(r.output.find("reading the true change: accuracy 100.0 %, macro F1 1.000") != std::string::npos);
  CHECK(r.output.find("majority class (same)") != std::string::npos);
  const test::CommandResult d = test::run_command(tool + " synth --plan-only --patients 300 --seed 3");
  REQUIRE(d.exit_code == 0);
  CHECK(d.output.find("reading the true change: accuracy 100.0 %") == std::string::npos);  // noisy scores: below 100
  for (const char* bad : {"0.5,0.5,0.5", "0.5,0.5", "a,b,c", "-0.1,0.6,0.5"}) {
    const test::CommandResult b = test::run_command(tool + " synth --plan-only --pair-shares " + bad);
    CHECK(b.exit_code != 0);
    CHECK_MESSAGE(b.output.find("--pair-shares") != std::string::npos, b.output);
  }
  const test::CommandResult no_out = test::run_command(tool + " synth --fast");
  CHECK(no_out.exit_code != 0);
  CHECK(no_out.output.find("--out DIR is required") != std::string::npos);
}
