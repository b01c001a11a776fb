// Clip augmentation (crop + resize, flip, brightness/contrast) and normalisation, on the CPU.
#include "data/augment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "base/error.h"

namespace learner::data {

namespace {

constexpr float kMean = 0.45f, kStd = 0.225f;

const std::array<float, 256>& normalize_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int p = 0; p < 256; ++p) t[p] = (static_cast<float>(p) / 255.f - kMean) / kStd;
    return t;
  }();
  return table;
}

// For each output coordinate o in [0, n_out) the two source taps and the weight of the upper
// one, sampling [begin, begin + len) of a source axis of n_src pixels (align_corners=False).
struct Taps {
  std::vector<int> lo, hi;
  std::vector<float> w;
};

Taps make_taps(int n_out, int begin, int len, int n_src, bool reverse) {
  Taps taps;
  taps.lo.resize(n_out);
  taps.hi.resize(n_out);
  taps.w.resize(n_out);
  const double step = static_cast<double>(len) / n_out;
  for (int o = 0; o < n_out; ++o) {
    const int src_o = reverse ? n_out - 1 - o : o;
    double s = begin + (src_o + 0.5) * step - 0.5;
    s = std::clamp(s, 0.0, static_cast<double>(n_src - 1));
    const int lo = static_cast<int>(std::floor(s));
    taps.lo[o] = lo;
    taps.hi[o] = std::min(lo + 1, n_src - 1);
    taps.w[o] = static_cast<float>(s - lo);
  }
  return taps;
}

}  // namespace

float normalize_pixel(uint8_t p) { return normalize_table()[p]; }

void validate(const AugmentOptions& o) {
  LEARNER_CHECK(o.scale_min > 0.f && o.scale_min <= o.scale_max && o.scale_max <= 1.f,
                "augment: crop scale range must satisfy 0 < min <= max <= 1, got [", o.scale_min,
                ", ", o.scale_max, "]");
  LEARNER_CHECK(o.ratio_min > 0.f && o.ratio_min <= o.ratio_max,
                "augment: crop ratio range must satisfy 0 < min <= max, got [", o.ratio_min, ", ",
                o.ratio_max, "]");
  LEARNER_CHECK(o.brightness >= 0.f && o.brightness < 1.f,
                "augment: brightness jitter must be in [0, 1), got ", o.brightness);
  LEARNER_CHECK(o.contrast >= 0.f && o.contrast < 1.f,
                "augment: contrast jitter must be in [0, 1), got ", o.contrast);
}

ClipAugment draw_clip_augment(const AugmentOptions& o, int H, int W, Generator& gen) {
  validate(o);
  ClipAugment a;
  a.enabled = true;
  const double area = static_cast<double>(H) * W;
  const double log_rmin = std::log(o.ratio_min), log_rmax = std::log(o.ratio_max);
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target = area * gen.uniform(o.scale_min, o.scale_max);
    const double ratio = std::exp(log_rmin + (log_rmax - log_rmin) * gen.uniform());
    const int w = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      a.crop_w = w;
      a.crop_h = h;
      a.crop_y = static_cast<int>(gen.randint(H - h + 1));
      a.crop_x = static_cast<int>(gen.randint(W - w + 1));
      found = true;
    }
  }
  if (!found) {  // the whole frame, narrowed to the nearest allowed ratio, centred
    const double in_ratio = static_cast<double>(W) / H;
    a.crop_w = W;
    a.crop_h = H;
    if (in_ratio < o.ratio_min) {
      a.crop_h = std::max(1, static_cast<int>(std::lround(W / o.ratio_min)));
    } else if (in_ratio > o.ratio_max) {
      a.crop_w = std::max(1, static_cast<int>(std::lround(H * o.ratio_max)));
    }
    a.crop_x = (W - a.crop_w) / 2;
    a.crop_y = (H - a.crop_h) / 2;
  }
  a.brightness = gen.uniform(1.f - o.brightness, 1.f + o.brightness);
  a.contrast = gen.uniform(1.f - o.contrast, 1.f + o.contrast);
  a.flip = o.hflip && gen.uniform() < 0.5f;
  return a;
}

void clip_to_input(float* out, const uint8_t* frames, int T, int C, int H, int W,
                   const ClipAugment& aug) {
  const int64_t plane = static_cast<int64_t>(H) * W;
  const int64_t total = static_cast<int64_t>(T) * C * plane;
  if (!aug.enabled) {
    const std::array<float, 256>& table = normalize_table();
    for (int64_t i = 0; i < total; ++i) out[i] = table[frames[i]];
    return;
  }
  LEARNER_CHECK(aug.crop_w >= 1 && aug.crop_h >= 1 && aug.crop_x >= 0 && aug.crop_y >= 0 &&
                    aug.crop_x + aug.crop_w <= W && aug.crop_y + aug.crop_h <= H,
                "clip_to_input: crop (x ", aug.crop_x, ", y ", aug.crop_y, ", w ", aug.crop_w,
                ", h ", aug.crop_h, ") is outside the ", H, " x ", W, " frame");
  const Taps rows = make_taps(H, aug.crop_y, aug.crop_h, H, false);
  const Taps cols = make_taps(W, aug.crop_x, aug.crop_w, W, aug.flip);
  // Pass 1: crop, resize, flip and brightness, in [0, 1]; the sum feeds the contrast mean.
  double sum = 0.0;
  for (int64_t p = 0; p < static_cast<int64_t>(T) * C; ++p) {
    const uint8_t* src = frames + p * plane;
    float* dst = out + p * plane;
    for (int y = 0; y < H; ++y) {
      const uint8_t* r0 = src + static_cast<int64_t>(rows.lo[y]) * W;
      const uint8_t* r1 = src + static_cast<int64_t>(rows.hi[y]) * W;
      const float wy = rows.w[y];
      float* d = dst + static_cast<int64_t>(y) * W;
      for (int x = 0; x < W; ++x) {
        const int x0 = cols.lo[x], x1 = cols.hi[x];
        const float wx = cols.w[x];
        const float top = r0[x0] + wx * (r0[x1] - r0[x0]);
        const float bottom = r1[x0] + wx * (r1[x1] - r1[x0]);
        const float v = (top + wy * (bottom - top)) * (1.f / 255.f) * aug.brightness;
        d[x] = std::min(v, 1.f);
        sum += d[x];
      }
    }
  }
  // Pass 2: contrast around the clip's mean (one mean for all frames keeps the clip coherent),
  // then the normalisation of SPEC section 4.
  const float mean = static_cast<float>(sum / static_cast<double>(total));
  for (int64_t i = 0; i < total; ++i) {
    const float v = std::clamp((out[i] - mean) * aug.contrast + mean, 0.f, 1.f);
    out[i] = (v - kMean) / kStd;
  }
}

}  // namespace learner::data
