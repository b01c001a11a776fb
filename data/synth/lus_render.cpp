// The synthetic B-mode renderer: per column geometry (ribs, pleura, B-lines, consolidation),
// per pixel echogenicity, speckle, attenuation and display compression. Units are cm.
#include "data/synth/lus_render.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/random.h"

namespace learner::data::synth {

namespace {

constexpr float kPi = 3.14159265358979f;

float clamp01(float v) { return std::clamp(v, 0.f, 1.f); }
float gauss(float d, float width) { return std::exp(-(d * d) / (width * width)); }

// A smooth random function of position, values in [-1, 1]: a few sinusoids with random
// wavelengths (0.4 - 2 cm) and phases. Used for irregular borders and slow modulations.
struct Wiggle {
  float freq[4], phase[4], amp[4];
  explicit Wiggle(Generator& gen) {
    float total = 0.f;
    for (int i = 0; i < 4; ++i) {
      freq[i] = 2.f * kPi / gen.uniform(0.4f, 2.f);
      phase[i] = gen.uniform(0.f, 2.f * kPi);
      amp[i] = gen.uniform(0.3f, 1.f);
      total += amp[i];
    }
    for (float& a : amp) a /= total;
  }
  float operator()(float x) const {
    float v = 0.f;
    for (int i = 0; i < 4; ++i) v += amp[i] * std::sin(freq[i] * x + phase[i]);
    return v;
  }
};

// Separable Gaussian blur of a (rows, cols) field, edges clamped; sigma in pixels.
void blur(std::vector<float>& field, int rows, int cols, float sigma_r, float sigma_c) {
  std::vector<float> tmp(field.size());
  auto kernel = [](float sigma) {
    const int radius = std::max(0, static_cast<int>(std::ceil(2.5f * sigma)));
    std::vector<float> k(2 * radius + 1, 1.f);
    if (sigma > 0.f) {
      float sum = 0.f;
      for (int i = -radius; i <= radius; ++i) sum += k[i + radius] = gauss(static_cast<float>(i), sigma * 1.41421356f);
      for (float& v : k) v /= sum;
    }
    return k;
  };
  const std::vector<float> kc = kernel(sigma_c), kr = kernel(sigma_r);
  const int rc = static_cast<int>(kc.size() / 2), rr = static_cast<int>(kr.size() / 2);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      float s = 0.f;
      for (int i = -rc; i <= rc; ++i) s += kc[i + rc] * field[r * cols + std::clamp(c + i, 0, cols - 1)];
      tmp[r * cols + c] = s;
    }
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      float s = 0.f;
      for (int i = -rr; i <= rr; ++i) s += kr[i + rr] * tmp[std::clamp(r + i, 0, rows - 1) * cols + c];
      field[r * cols + c] = s;
    }
}

// Fully developed speckle: the intensity |a + ib|^2 of a correlated complex Gaussian field,
// scaled to mean 1 (an exponential distribution per pixel).
std::vector<float> speckle(int rows, int cols, float sigma_r, float sigma_c, Generator& gen) {
  std::vector<float> a(static_cast<size_t>(rows) * cols), b(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = gen.normal();
    b[i] = gen.normal();
  }
  blur(a, rows, cols, sigma_r, sigma_c);
  blur(b, rows, cols, sigma_r, sigma_c);
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] = a[i] * a[i] + b[i] * b[i];
  const float scale = static_cast<float>(a.size() / std::max(sum, 1e-12));
  for (float& v : a) v *= scale;
  return a;
}

}  // namespace

float expected_b_lines(float severity) {
  if (severity <= 0.12f) return 0.f;
  return 10.f * std::pow((severity - 0.12f) / 0.88f, 0.9f);
}

void render_clip(const PatientLook& p, const ScanLook& scan, int size, uint8_t* out) {
  const int H = size, W = size;
  const float dz = p.depth_cm / H, dx = p.width_cm / W;
  const float s = clamp01(scan.severity);
  Generator gen(scan.seed);
  const Wiggle pleura_shape(gen), pleura_frag(gen), fascia_wave(gen), consol_edge(gen), white(gen);

  const float cw = p.chest_wall_cm * scan.chest_wall_scale;  // mean pleural depth
  const float pleura_th = 0.05f + 0.08f * s;                // thickening
  const float irregular = 0.1f * s * s;                      // pleural depth jitter, cm
  const float bline_w = 0.05f + 0.2f * s * s;                // B-lines widen and merge
  const float a_lines = 0.75f * (1.f - s) * (1.f - s);       // A-lines fade
  const float whiteness = 0.35f * clamp01((s - 0.75f) / 0.25f);
  const float consol = clamp01((s - 0.65f) / 0.35f);
  const float consol_hw = 0.25f + 0.9f * consol, consol_depth = 0.2f + 1.3f * consol;

  // Ribs lie in the chest wall (they do not slide): per column the depth of the rib's top,
  // below which everything is acoustic shadow.
  std::vector<float> rib_top(W, std::numeric_limits<float>::infinity());
  for (int c = 0; c < W; ++c) {
    // The probe is held across an intercostal space: rib centres at the frame's centre
    // +- half a rib period, moved by the probe placement (the "bat sign").
    const float x = (c + 0.5f) * dx + scan.probe_shift_cm - 0.5f * p.width_cm - 0.5f * p.rib_period_cm;
    const float k = std::round(x / p.rib_period_cm);
    const float u = (x - k * p.rib_period_cm) / 0.35f;  // rib half-width 0.35 cm
    if (std::fabs(u) < 1.f) rib_top[c] = cw - 0.3f + 0.2f * u * u;
  }

  // Speckle: the chest wall's is fixed; the lung's slides with the lung and partly renews
  // every frame (the shimmer of the pleura and the artifacts below it).
  const float sigma_r = p.speckle_axial_cm / dz, sigma_c = p.speckle_lateral_cm / dx;
  const int pad = static_cast<int>(std::ceil(p.sliding_cm / dx)) + 2;
  const int WP = W + 2 * pad;
  const std::vector<float> wall_speckle = speckle(H, W, sigma_r, sigma_c, gen);
  const std::vector<float> lung_speckle = speckle(H, WP, sigma_r, sigma_c, gen);

  std::vector<float> pl_depth(W), pl_amp(W), bline(W), consol_end(W), white_col(W);
  for (int f = 0; f < scan.frames; ++f) {
    const std::vector<float> fresh = speckle(H, W, sigma_r, sigma_c, gen);
    const float slide = p.sliding_cm * std::sin(2.f * kPi * f / p.breath_frames + scan.breath_phase);
    const float slide_px = slide / dx;
    // Per column: where the pleura is and how bright, B-line intensity, consolidation extent.
    for (int c = 0; c < W; ++c) {
      const float xl = (c + 0.5f) * dx + scan.probe_shift_cm - slide;  // lung coordinates
      pl_depth[c] = cw + irregular * pleura_shape(xl);
      pl_amp[c] = 1.5f * (1.f - 0.55f * s * (0.5f + 0.5f * pleura_frag(xl)));
      float b = 0.f;
      for (int j = 0; j < std::min(scan.b_lines, kMaxBLines); ++j)
        b += p.bline_amp[j] * gauss(xl - p.bline_x_cm[j], bline_w);
      bline[c] = std::min(b, 1.2f);
      consol_end[c] = pl_depth[c];
      const float u = (xl - p.consolidation_x_cm) / consol_hw;
      if (consol > 0.f && std::fabs(u) < 1.f) {
        consol_end[c] += consol_depth * std::sqrt(1.f - u * u) * (0.75f + 0.25f * consol_edge(xl));
        pl_amp[c] *= 0.4f;  // the pleural line breaks over a consolidation
      }
      white_col[c] = whiteness * (0.75f + 0.25f * white(xl));
    }
    const float gain = p.gain * scan.gain_scale;
    uint8_t* frame = out + static_cast<size_t>(f) * H * W;
    for (int r = 0; r < H; ++r) {
      const float z = (r + 0.5f) * dz;
      const float atten = std::exp(-p.attenuation * z);
      for (int c = 0; c < W; ++c) {
        const float x = (c + 0.5f) * dx;
        float e;
        bool lung = false;
        if (z >= rib_top[c]) {
          e = 0.04f + 0.9f * gauss(z - rib_top[c], 0.05f);  // the rib's bright top, then shadow
        } else if (z < pl_depth[c] - 2.f * pleura_th) {
          e = z < 0.1f ? 0.6f : p.tissue_echo;
          for (float fd : p.fascia_depth)
            e += p.fascia_echo * gauss(z - fd * cw - 0.03f * fascia_wave(x), 0.03f);
        } else {
          lung = true;
          e = pl_amp[c] * gauss(z - pl_depth[c], pleura_th);
          if (z > pl_depth[c]) {
            if (z < consol_end[c]) {  // consolidated lung: tissue-like, a bright ragged deep edge
              e += 0.3f + 0.6f * gauss(z - consol_end[c], 0.05f);
              if (lung_speckle[r * WP + c + pad] > 4.f) e += 0.5f;  // air bronchograms
            } else {
              e += 0.04f + white_col[c];
              for (int k = 2; k <= 6; ++k)  // reverberations at multiples of the pleural depth
                e += a_lines * std::pow(0.6f, static_cast<float>(k - 2)) *
                     (1.f - std::min(bline[c], 1.f)) * gauss(z - k * cw, 0.035f);
              e += 0.75f * bline[c] * (0.8f + 0.2f * std::exp(-(z - pl_depth[c]) / 2.5f));
            }
          }
        }
        float sp;
        if (lung) {
          // Sample the sliding field at column c - slide_px (linear interpolation).
          const float src = c + pad - slide_px;
          const int c0 = std::clamp(static_cast<int>(std::floor(src)), 0, WP - 2);
          const float w = std::clamp(src - c0, 0.f, 1.f);
          const float slid = (1.f - w) * lung_speckle[r * WP + c0] + w * lung_speckle[r * WP + c0 + 1];
          sp = 0.65f * slid + 0.35f * fresh[r * W + c];
        } else {
          sp = 0.9f * wall_speckle[r * W + c] + 0.1f * fresh[r * W + c];
        }
        const float v = gain * std::pow(e * sp * atten, p.gamma) + 0.01f * gen.normal();
        frame[r * W + c] = static_cast<uint8_t>(std::lround(255.f * clamp01(v)));
      }
    }
  }
}

}  // namespace learner::data::synth
