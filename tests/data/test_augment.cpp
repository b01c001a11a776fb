// Clip augmentation and normalisation: SPEC section 4 values, the identity in evaluation,
// crops within bounds, one set of parameters for every frame of a clip.
#include <cmath>
#include <vector>

#include "data/augment.h"
#include "tests/util/test_util.h"

using namespace learner;
using namespace learner::data;

namespace {

std::vector<uint8_t> random_pixels(size_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<uint8_t> p(n);
  for (uint8_t& v : p) v = static_cast<uint8_t>(gen.randint(256));
  return p;
}

}  // namespace

TEST_CASE("normalize_pixel is (p / 255 - 0.45) / 0.225") {
  CHECK(normalize_pixel(0) == doctest::Approx(-2.0).epsilon(1e-6));
  CHECK(normalize_pixel(255) == doctest::Approx(0.55 / 0.225).epsilon(1e-6));
  for (int p : {1, 17, 115, 200, 254}) {
    const double expected = (p / 255.0 - 0.45) / 0.225;
    CHECK(std::fabs(normalize_pixel(static_cast<uint8_t>(p)) - expected) < 1e-6);
  }
}

TEST_CASE("clip_to_input without augmentation is the plain normalisation") {
  const int T = 3, C = 3, H = 5, W = 7;
  const std::vector<uint8_t> in = random_pixels(T * C * H * W, 1);
  std::vector<float> out(in.size());
  clip_to_input(out.data(), in.data(), T, C, H, W, ClipAugment());
  for (size_t i = 0; i < in.size(); ++i) REQUIRE(out[i] == normalize_pixel(in[i]));
}

TEST_CASE("an identity augmentation matches the plain normalisation; a flip mirrors") {
  const int T = 2, C = 1, H = 9, W = 11;
  const std::vector<uint8_t> in = random_pixels(T * C * H * W, 2);
  ClipAugment aug;
  aug.enabled = true;
  aug.crop_w = W;
  aug.crop_h = H;
  std::vector<float> out(in.size()), ref(in.size());
  clip_to_input(out.data(), in.data(), T, C, H, W, aug);
  for (size_t i = 0; i < in.size(); ++i) ref[i] = normalize_pixel(in[i]);
  test::expect_close(out, ref, 1e-5, 0, "identity augmentation");
  aug.flip = true;
  clip_to_input(out.data(), in.data(), T, C, H, W, aug);
  for (int p = 0; p < T * C; ++p)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const size_t o = (static_cast<size_t>(p) * H + y) * W + x;
        const size_t m = (static_cast<size_t>(p) * H + y) * W + (W - 1 - x);
        REQUIRE(std::fabs(out[o] - ref[m]) < 1e-5f);
      }
}

TEST_CASE("brightness scales and contrast stretches around the clip mean") {
  const int T = 2, C = 1, H = 3, W = 4;
  std::vector<uint8_t> in(T * C * H * W);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(60 + 5 * i);
  ClipAugment aug;
  aug.enabled = true;
  aug.crop_w = W;
  aug.crop_h = H;
  aug.brightness = 1.25f;
  aug.contrast = 0.5f;
  std::vector<float> out(in.size());
  clip_to_input(out.data(), in.data(), T, C, H, W, aug);
  double mean = 0;
  for (uint8_t p : in) mean += p / 255.0 * 1.25;
  mean /= in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    const double v = (in[i] / 255.0 * 1.25 - mean) * 0.5 + mean;
    REQUIRE(std::fabs(out[i] - (v - 0.45) / 0.225) < 1e-5);
  }
}

TEST_CASE("every frame of a clip gets the same augmentation") {
  const int T = 4, C = 3, H = 13, W = 10;
  const std::vector<uint8_t> frame = random_pixels(C * H * W, 3);
  std::vector<uint8_t> clip;
  for (int t = 0; t < T; ++t) clip.insert(clip.end(), frame.begin(), frame.end());
  Generator gen(5);
  const ClipAugment aug = draw_clip_augment(AugmentOptions(), H, W, gen);
  std::vector<float> out(clip.size());
  clip_to_input(out.data(), clip.data(), T, C, H, W, aug);
  const size_t n = frame.size();
  for (int t = 1; t < T; ++t)
    for (size_t i = 0; i < n; ++i) REQUIRE(out[t * n + i] == out[i]);
}

TEST_CASE("drawn crops respect the scale and ratio bounds and the frame") {
  AugmentOptions o;
  o.scale_min = 0.5f;
  o.scale_max = 0.9f;
  o.ratio_min = 0.75f;
  o.ratio_max = 1.33f;
  Generator gen(9);
  int flips = 0;
  for (int i = 0; i < 200; ++i) {
    const int H = 31, W = 45;
    const ClipAugment a = draw_clip_augment(o, H, W, gen);
    REQUIRE(a.crop_x >= 0);
    REQUIRE(a.crop_y >= 0);
    REQUIRE(a.crop_x + a.crop_w <= W);
    REQUIRE(a.crop_y + a.crop_h <= H);
    const double scale = static_cast<double>(a.crop_w) * a.crop_h / (H * W);
    CHECK(scale >= 0.5 * 0.85);  // rounding of w and h to pixels
    CHECK(scale <= 0.9 * 1.15);
    const double ratio = static_cast<double>(a.crop_w) / a.crop_h;
    CHECK(ratio >= 0.75 * 0.9);
    CHECK(ratio <= 1.33 * 1.1);
    CHECK(a.brightness >= 0.8f);
    CHECK(a.brightness < 1.2f);
    CHECK(a.contrast >= 0.8f);
    CHECK(a.contrast < 1.2f);
    flips += a.flip;
  }
  CHECK(flips > 60);
  CHECK(flips < 140);
  o.hflip = false;
  for (int i = 0; i < 20; ++i) CHECK_FALSE(draw_clip_augment(o, 8, 8, gen).flip);
}

TEST_CASE("augmentation options are checked") {
  AugmentOptions o;
  o.scale_min = 0.f;
  Generator gen(1);
  CHECK_THROWS_WITH_AS(draw_clip_augment(o, 8, 8, gen),
                       doctest::Contains("augment: crop scale range"), Error);
  o = AugmentOptions();
  o.brightness = 1.5f;
  CHECK_THROWS_WITH_AS(validate(o), doctest::Contains("brightness jitter must be in [0, 1)"), Error);
  ClipAugment bad;
  bad.enabled = true;
  bad.crop_w = 9;
  bad.crop_h = 2;
  std::vector<uint8_t> in(16);
  std::vector<float> out(16);
  CHECK_THROWS_WITH_AS(clip_to_input(out.data(), in.data(), 1, 1, 4, 4, bad),
                       doctest::Contains("is outside the 4 x 4 frame"), Error);
}
