// Swin's map moves (framework/ops/window.h): roll as torch.roll, pad_end, window_partition and
// window_merge in timm's order, each against an index transcription of its definition, its
// backward against finite differences, and bad input named. CUDA against the CPU: their rows in
// the op-case table (tests/op/op_cases_transformer.cpp).
#include <vector>

#include "framework/ops/window.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
Tensor grad_input(const Shape& shape, uint64_t seed) { return test::random_tensor(shape, seed).set_requires_grad(true); }
}  // namespace

TEST_CASE("roll moves entries as torch.roll, any shift modulo the size") {
  const Tensor x = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4}, {5});
  CHECK(roll(x, 0, 2).to_vector() == std::vector<float>{3, 4, 0, 1, 2});
  CHECK(roll(x, 0, -2).to_vector() == std::vector<float>{2, 3, 4, 0, 1});
  CHECK(roll(x, 0, 7).to_vector() == std::vector<float>{3, 4, 0, 1, 2});
  CHECK(roll(x, 0, -5).to_vector() == x.to_vector());
  // (B, H, W, C) along H and W: out[b, i, j, c] = x[b, (i - s) mod H, j, c].
  const int64_t B = 2, H = 5, W = 4, C = 3;
  const Tensor m = test::random_tensor({B, H, W, C}, 1);
  const std::vector<float> mv = m.to_vector(), rolled = roll(m, 1, -3).to_vector(), rolled_w = roll(m, 2, 1).to_vector();
  bool rows_ok = true, cols_ok = true;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t at = ((b * H + i) * W + j) * C + c;
          rows_ok &= rolled[at] == mv[((b * H + (i + 3) % H) * W + j) * C + c];
          cols_ok &= rolled_w[at] == mv[((b * H + i) * W + (j + W - 1) % W) * C + c];
        }
  CHECK(rows_ok);
  CHECK(cols_ok);
  test::check_gradients([](const std::vector<Tensor>& in) { return roll(in[0], 1, -3); }, {grad_input({B, H, W, C}, 2)});
  test::check_gradients([](const std::vector<Tensor>& in) { return roll(in[0], 2, 1); }, {grad_input({B, H, W, C}, 3)});
  CHECK_THROWS_WITH_AS(roll(m, 4, 1), doctest::Contains("dimension 4 is out of range"), Error);
}

TEST_CASE("pad_end appends zeros along one dimension") {
  const Tensor x = test::random_tensor({2, 3, 2}, 10);
  const Tensor padded = pad_end(x, 1, 2);
  REQUIRE(padded.shape() == Shape{2, 5, 2});
  const std::vector<float> xv = x.to_vector(), pv = padded.to_vector();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t c = 0; c < 2; ++c) CHECK(pv[(b * 5 + i) * 2 + c] == (i < 3 ? xv[(b * 3 + i) * 2 + c] : 0.f));
  CHECK(pad_end(x, 2, 0).to_vector() == xv);
  test::check_gradients([](const std::vector<Tensor>& in) { return pad_end(pad_end(in[0], 1, 2), 2, 1); },
                        {grad_input({2, 3, 2}, 11)});
  CHECK_THROWS_WITH_AS(pad_end(x, 1, -1), doctest::Contains("must not be negative"), Error);
}

TEST_CASE("window_partition and window_merge follow timm's order and undo each other") {
  // Two 4 x 6 maps, 2 x 3 windows: window (wy, wx) of map b is row b * 4 + wy * 2 + wx, its
  // token (ty, tx) is ty * 3 + tx and holds x[b, wy * 2 + ty, wx * 3 + tx].
  const int64_t B = 2, H = 4, W = 6, C = 3, wh = 2, ww = 3;
  const Tensor x = test::random_tensor({B, H, W, C}, 20);
  const Tensor windows = window_partition(x, wh, ww);
  REQUIRE(windows.shape() == Shape{B * 4, wh * ww, C});
  const std::vector<float> xv = x.to_vector(), wv = windows.to_vector();
  bool ok = true;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t wy = 0; wy < 2; ++wy)
      for (int64_t wx = 0; wx < 2; ++wx)
        for (int64_t ty = 0; ty < wh; ++ty)
          for (int64_t tx = 0; tx < ww; ++tx)
            for (int64_t c = 0; c < C; ++c)
              ok &= wv[((b * 4 + wy * 2 + wx) * wh * ww + ty * ww + tx) * C + c] ==
                    xv[((b * H + wy * wh + ty) * W + wx * ww + tx) * C + c];
  CHECK(ok);
  CHECK(window_merge(windows, B, H, W, wh, ww).to_vector() == xv);
  test::check_gradients([](const std::vector<Tensor>& in) { return window_partition(in[0], 2, 3); },
                        {grad_input({B, H, W, C}, 21)});
  test::check_gradients([](const std::vector<Tensor>& in) { return window_merge(in[0], 2, 4, 6, 2, 3); },
                        {grad_input({B * 4, wh * ww, C}, 22)});
  CHECK_THROWS_WITH_AS(window_partition(x, 3, 3), doctest::Contains("does not split into 3 x 3 windows"), Error);
  CHECK_THROWS_WITH_AS(window_merge(windows, B, H, W, 2, 2), doctest::Contains("are not the 2 x 2 windows"), Error);
}
