// Planning of the synthetic cohort: patients, their nuisance, S/F trajectories and scans.
#include "data/synth/cohort.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/labels.h"
#include "data/sampling.h"
#include "base/error.h"
#include "framework/random.h"

namespace learner::data::synth {

namespace {

constexpr float kPi = 3.14159265358979f;
constexpr float kSfMin = 80.f, kSfMax = 476.f;  // S/F of FiO2 1.0 at SpO2 80 .. room air at 100

// Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm), as YYYY-MM-DD.
std::string iso_date(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(y), static_cast<int>(m),
                static_cast<int>(d));
  return buf;
}

PatientLook draw_patient(Generator& gen) {
  PatientLook p;
  p.depth_cm = gen.uniform(4.f, 6.f);
  p.chest_wall_cm = gen.uniform(0.7f, 1.8f);
  p.gain = gen.uniform(0.6f, 1.1f);
  p.gamma = gen.uniform(0.45f, 0.75f);
  p.attenuation = gen.uniform(0.03f, 0.25f);
  p.tissue_echo = gen.uniform(0.12f, 0.25f);
  p.speckle_lateral_cm = gen.uniform(0.03f, 0.07f);
  p.speckle_axial_cm = gen.uniform(0.012f, 0.03f);
  p.rib_period_cm = gen.uniform(2.f, 2.8f);
  for (float& d : p.fascia_depth) d = gen.uniform(0.15f, 0.9f);
  std::sort(std::begin(p.fascia_depth), std::end(p.fascia_depth));
  p.fascia_echo = gen.uniform(0.15f, 0.5f);
  p.sliding_cm = gen.uniform(0.05f, 0.2f);
  p.breath_frames = gen.uniform(12.f, 24.f);
  for (int j = 0; j < kMaxBLines; ++j) {
    p.bline_x_cm[j] = gen.uniform(0.3f, p.width_cm - 0.3f);
    p.bline_amp[j] = gen.uniform(0.6f, 1.f);
  }
  p.consolidation_x_cm = gen.uniform(0.8f, p.width_cm - 0.8f);
  p.severity_bias = gen.normal(0.f, 0.06f);
  return p;
}

int draw_scan_count(Generator& gen) {
  // 2..6 scans with mean 3.8: 189 patients give about 718 clips, as in the paper's cohort.
  const float u = gen.uniform();
  if (u < 0.20f) return 2;
  if (u < 0.45f) return 3;
  if (u < 0.70f) return 4;
  if (u < 0.85f) return 5;
  return 6;
}

// The SPEC's S/F categories (edges 180, 275, 430) as S/F intervals within [kSfMin, kSfMax].
constexpr int kCategories = 4;
constexpr float kCategoryLo[kCategories] = {kSfMin, 180.f, 275.f, 430.f};
constexpr float kCategoryHi[kCategories] = {180.f, 275.f, 430.f, kSfMax};
constexpr float kEdgeMargin = 3.f;  // keeps S/F off the edges: a label never hangs on rounding

int category_of(float sf) {
  int c = 0;
  while (c + 1 < kCategories && sf >= kCategoryLo[c + 1]) ++c;
  return c;
}

// Shares mode: the category step of each pair (+1 improved, 0 same, -1 deteriorated), drawn
// with the shares, and a first category from which the whole path stays inside the four.
// A path that cannot fit (more net steps one way than there are categories) is drawn again.
std::vector<int> draw_category_path(Generator& gen, int scans, const std::array<float, 3>& shares) {
  for (;;) {
    std::vector<int> steps;
    int level = 0, low = 0, high = 0;
    for (int k = 1; k < scans; ++k) {
      const float u = gen.uniform();
      const int step = u < shares[0] ? 1 : (u < shares[0] + shares[1] ? 0 : -1);
      steps.push_back(step);
      level += step;
      low = std::min(low, level);
      high = std::max(high, level);
    }
    if (high - low >= kCategories) continue;
    // First category c0 with c0 + low >= 0 and c0 + high <= 3, uniform among those.
    const int c0 = -low + static_cast<int>(gen.randint(static_cast<uint64_t>(kCategories - (high - low))));
    std::vector<int> path = {c0};
    for (const int step : steps) path.push_back(path.back() + step);
    return path;
  }
}

// Shares mode: the next true S/F in category `to`, from `sf` in category `from`: inside the
// category a small N(0, 10) move; across an edge, a point just beyond it (3-40 S/F units),
// so that a change is real (it crosses a category) but small.
float next_sf(Generator& gen, float sf, int from, int to) {
  const float lo = kCategoryLo[to] + kEdgeMargin, hi = kCategoryHi[to] - kEdgeMargin;
  if (to == from) return std::clamp(sf + gen.normal(0.f, 10.f), lo, hi);
  const float beyond = gen.uniform(0.f, 37.f);
  return to > from ? std::min(lo + beyond, hi) : std::max(hi - beyond, lo);
}

// Shares mode: the recorded score stays in the true category (the noise is drawn again when
// it crosses an edge), so that the pair labels follow the shares exactly.
float recorded_in_category(Generator& gen, float sf, float noise) {
  const int c = category_of(sf);
  for (int attempt = 0; attempt < 32; ++attempt) {
    const float v = sf + gen.normal(0.f, noise);
    if (v >= kCategoryLo[c] + 0.05f && v < kCategoryHi[c] - 0.05f) return v;
  }
  return sf;
}

}  // namespace

CohortOptions CohortOptions::fast() {
  CohortOptions o;
  o.patients = 6;
  o.size = 32;
  o.min_frames = 5;
  o.max_frames = 12;
  return o;
}

const char* trajectory_name(Trajectory trajectory) {
  switch (trajectory) {
    case Trajectory::Improving: return "improving";
    case Trajectory::Worsening: return "worsening";
    case Trajectory::Stable: return "stable";
  }
  return "?";
}

float severity_from_sf(float sf) { return std::clamp((470.f - sf) / 330.f, 0.f, 1.f); }

Cohort plan_cohort(const CohortOptions& o) {
  LEARNER_CHECK(o.patients >= 1, "synth: --patients must be at least 1, got ", o.patients);
  LEARNER_CHECK(o.size >= 16 && o.size <= 1024, "synth: --size must be in [16, 1024], got ", o.size);
  LEARNER_CHECK(o.min_frames >= 1 && o.min_frames <= o.max_frames,
                "synth: frame range must satisfy 1 <= min <= max, got [", o.min_frames, ", ",
                o.max_frames, "]");
  LEARNER_CHECK(o.score_noise >= 0.f, "synth: score noise must be >= 0, got ", o.score_noise);
  if (o.pair_shares) {
    const auto& p = *o.pair_shares;
    LEARNER_CHECK(p[0] >= 0.f && p[1] >= 0.f && p[2] >= 0.f && std::abs(p[0] + p[1] + p[2] - 1.f) < 1e-3f,
                  "synth: --pair-shares takes three shares IMPROVED,SAME,DETERIORATED >= 0 that sum to 1, got ", p[0],
                  ",", p[1], ",", p[2]);
  }
  Cohort cohort;
  for (int i = 0; i < o.patients; ++i) {
    Generator gen(derive_seed(o.seed, 1, static_cast<uint64_t>(i)));
    cohort.patients.push_back(draw_patient(gen));
    const PatientLook& look = cohort.patients.back();
    char pid[16];
    std::snprintf(pid, sizeof pid, "P%04d", i + 1);
    const int count = draw_scan_count(gen);
    const float u = gen.uniform();
    const Trajectory trajectory =
        u < 0.45f ? Trajectory::Improving : (u < 0.70f ? Trajectory::Worsening : Trajectory::Stable);
    float sf = trajectory == Trajectory::Improving   ? gen.uniform(100.f, 320.f)
               : trajectory == Trajectory::Worsening ? gen.uniform(250.f, 470.f)
                                                     : gen.uniform(110.f, 470.f);
    const float probe_cm = gen.uniform(-0.25f, 0.25f);
    int64_t day = 18322 + gen.randint(400);  // from 2020-03-01
    // Shares mode: the categories of the patient's scans, and a first S/F inside the first.
    std::vector<int> path;
    if (o.pair_shares) {
      path = draw_category_path(gen, count, *o.pair_shares);
      sf = gen.uniform(kCategoryLo[path[0]] + kEdgeMargin, kCategoryHi[path[0]] - kEdgeMargin);
    }
    const float first_sf = sf;
    for (int k = 1; k <= count; ++k) {
      if (k > 1) {
        if (o.pair_shares) {
          sf = next_sf(gen, sf, path[k - 2], path[k - 1]);
        } else {
          const float step = trajectory == Trajectory::Improving   ? gen.uniform(15.f, 70.f)
                             : trajectory == Trajectory::Worsening ? -gen.uniform(15.f, 70.f)
                                                                   : gen.normal(0.f, 10.f);
          sf = std::clamp(sf + step, kSfMin, kSfMax);
        }
        day += 1 + gen.randint(4);
      }
      SynthScan scan;
      scan.patient = i;
      scan.patient_id = pid;
      scan.scan_id = std::string(pid) + "-S" + std::to_string(k);
      scan.path = "clips/" + std::string(pid) + "/S" + std::to_string(k);
      scan.date = iso_date(day);
      scan.order = k;
      // Shares mode: the trajectory says where the patient is heading so far (truth.csv).
      scan.trajectory = !o.pair_shares      ? trajectory
                        : sf > first_sf + 1 ? Trajectory::Improving
                        : sf < first_sf - 1 ? Trajectory::Worsening
                                            : Trajectory::Stable;
      scan.true_sf = sf;
      // Recorded to one decimal, as a spreadsheet would hold it.
      const float noisy = o.pair_shares ? recorded_in_category(gen, sf, o.score_noise)
                                        : std::clamp(sf + gen.normal(0.f, o.score_noise), 60.f, kSfMax);
      scan.score = std::round(noisy * 10.f) / 10.f;
      ScanLook& s = scan.look;
      s.severity = std::clamp(severity_from_sf(sf) + look.severity_bias + gen.normal(0.f, 0.03f), 0.f, 1.f);
      s.b_lines = std::clamp(static_cast<int>(std::lround(expected_b_lines(s.severity) + gen.normal(0.f, 0.7f))),
                             0, kMaxBLines);
      s.probe_shift_cm = probe_cm + gen.normal(0.f, 0.12f);
      s.gain_scale = std::exp(gen.normal(0.f, 0.05f));
      s.chest_wall_scale = 1.f + gen.normal(0.f, 0.03f);
      s.breath_phase = gen.uniform(0.f, 2.f * kPi);
      s.frames = o.min_frames + static_cast<int>(gen.randint(o.max_frames - o.min_frames + 1));
      s.seed = derive_seed(o.seed, 2 + static_cast<uint64_t>(k), static_cast<uint64_t>(i));
      cohort.scans.push_back(scan);
    }
  }
  return cohort;
}

CohortPairLabels cohort_pair_labels(const Cohort& cohort) {
  const data::ScoreSpec spec;  // the S/F categories pack uses by default
  CohortPairLabels out;
  for (size_t i = 1; i < cohort.scans.size(); ++i) {
    const SynthScan& a = cohort.scans[i - 1];
    const SynthScan& b = cohort.scans[i];
    if (a.patient != b.patient) continue;  // scans are patients in order, each in scan order
    out.recorded.push_back(static_cast<int>(data::pair_label(a.score, b.score, spec)));
    out.from_true.push_back(static_cast<int>(data::pair_label(a.true_sf, b.true_sf, spec)));
  }
  return out;
}

}  // namespace learner::data::synth
