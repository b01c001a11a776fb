// The synthetic longitudinal lung-ultrasound cohort behind `learner synth`: patients with
// S/F trajectories (improving, worsening, stable), noisy recorded scores, per-patient
// nuisance and per-scan clips rendered by lus_render. Model and parameters: docs/synthetic.md.
#pragma once

#include <cstdint>
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

// Renders every clip into DIR/<path>/frame_0000.png ... and writes DIR/manifest.csv (the
// columns of docs/format.md) and DIR/truth.csv (true S/F, severity, trajectory, B-lines).
// Clips render in parallel; the files are the same bytes for any thread count.
void write_cohort(const Cohort& cohort, const CohortOptions& options, const std::string& dir);

}  // namespace learner::data::synth
