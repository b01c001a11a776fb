// A B-mode lung ultrasound clip renderer for the synthetic cohort (docs/synthetic.md): an
// echogenicity map of chest wall, ribs, pleura and lung artifacts driven by one severity
// value, times speckle, with depth attenuation and display compression. Pure CPU, deterministic.
#pragma once

#include <cstdint>
#include <vector>

namespace learner::data::synth {

constexpr int kMaxBLines = 12;

// What stays fixed for a patient across scans: the nuisance that makes patients look unlike
// each other (and one hidden bias of how their lungs look for a given S/F).
struct PatientLook {
  float depth_cm = 5.f;        // imaging depth of the frame (4-6 cm)
  float width_cm = 3.8f;       // linear probe footprint
  float chest_wall_cm = 1.2f;  // skin to pleura
  float gain = 0.85f;          // overall brightness
  float gamma = 0.6f;          // display compression of echo intensity
  float attenuation = 0.12f;   // residual depth attenuation, per cm (after TGC)
  float tissue_echo = 0.18f;   // chest-wall echogenicity
  float speckle_lateral_cm = 0.045f, speckle_axial_cm = 0.02f;  // speckle correlation lengths
  float rib_period_cm = 2.4f;  // rib centre to rib centre
  float fascia_depth[3] = {0.3f, 0.55f, 0.8f};  // fractions of the chest wall
  float fascia_echo = 0.35f;
  float sliding_cm = 0.12f;    // amplitude of lung sliding
  float breath_frames = 16.f;  // frames per breathing cycle
  float bline_x_cm[kMaxBLines] = {};    // candidate B-line positions, in order of appearance
  float bline_amp[kMaxBLines] = {};
  float consolidation_x_cm = 1.9f;
  float severity_bias = 0.f;   // added to the severity implied by S/F
};

// What changes from scan to scan of one patient.
struct ScanLook {
  float severity = 0.f;        // 0 (normal aerated lung) .. 1 (white lung, consolidation)
  float probe_shift_cm = 0.f;  // probe placement
  float gain_scale = 1.f;      // operator gain
  float chest_wall_scale = 1.f;  // probe pressure
  float breath_phase = 0.f;    // radians
  int b_lines = 0;             // how many of the candidate B-lines show
  int frames = 16;             // F
  uint64_t seed = 0;           // speckle and irregularity
};

// Number of B-lines at severity s (before per-scan jitter): none below 0.12, up to 10.
float expected_b_lines(float severity);

// Renders frames (F, size, size) uint8, F = scan.frames.
void render_clip(const PatientLook& patient, const ScanLook& scan, int size, uint8_t* out);

}  // namespace learner::data::synth
