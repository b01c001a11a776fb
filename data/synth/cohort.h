// The synthetic longitudinal lung-ultrasound cohort behind `learner synth`: patients with
// S/F trajectories (improving, worsening, stable), noisy recorded scores, per-patient
// nuisance and per-scan clips rendered by lus_render. Model and parameters: docs/synthetic.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/synth/lus_render.h"

namespace learner::data::synth {

struct CohortOptions {
  int patients = 189;
  int size = 128;                        // frames are size x size pixels, grayscale
  uint64_t seed = 0;
  int min_frames = 16, max_frames = 40;  // F per clip, uniform
  float score_noise = 15.f;              // sd of the recorded S/F around the true one
  float fps = 20.f;                      // written to the manifest
  // Shares of improved, same and deteriorated among each patient's consecutive pairs (the
  // SPEC's category change of the recorded S/F). Unset: the trajectory model (improving,
  // worsening, stable patients; docs/synthetic.md). Set: each pair's label is drawn with
  // these shares and the S/F moves just across a category edge (or stays inside it).
  std::optional<std::array<float, 3>> pair_shares;
  // Tiny clips for tests: 32 x 32, 5-12 frames (some shorter than T = 8).
  static CohortOptions fast();
};

enum class Trajectory { Improving, Worsening, Stable };
const char* trajectory_name(Trajectory trajectory);

struct SynthScan {
  int patient = 0;            // index into Cohort::patients
  std::string patient_id, scan_id, date, path;  // path: the clip's folder, relative to DIR
  int order = 1;              // 1-based scan order within the patient
  Trajectory trajectory = Trajectory::Stable;
  float true_sf = 0.f;        // what the images follow
  float score = 0.f;          // what was recorded: true S/F plus noise
  ScanLook look;
};

struct Cohort {
  std::vector<PatientLook> patients;
  std::vector<SynthScan> scans;  // patients in order, each patient's scans in order
};

// Severity of the lungs at S/F ratio `sf`: 0 at 470 (normal), 1 at 140 and below.
float severity_from_sf(float sf);

// Draws the cohort (no pixels yet): a pure function of the options.
Cohort plan_cohort(const CohortOptions& options);

// The label of each consecutive pair of the cohort (all patients, scan order): from the
// recorded scores, as pack will label it, and from the true S/F, as a classifier that reads
// the true change would: the task's ceiling (docs/synthetic.md, "How hard the task is").
struct CohortPairLabels {
  std::vector<int> recorded, from_true;  // 0 improved, 1 same, 2 deteriorated
};
CohortPairLabels cohort_pair_labels(const Cohort& cohort);

// Renders every clip into DIR/<path>/frame_0000.png ... and writes DIR/manifest.csv (the
// columns of docs/format.md) and DIR/truth.csv (true S/F, severity, trajectory, B-lines).
// Clips render in parallel; the files are the same bytes for any thread count.
void write_cohort(const Cohort& cohort, const CohortOptions& options, const std::string& dir);

}  // namespace learner::data::synth
