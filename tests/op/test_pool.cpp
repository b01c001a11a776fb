// Pooling: values against float64 loops, tie rules, output sizes, finite-difference
// gradients, CUDA against the CPU (to the bit for max/avg), and bad-use errors.
#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/autograd.h"
#include "framework/ops/pool.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

Pool2dParams pool(int kh, int kw, int sh, int sw, int ph, int pw) {
  Pool2dParams p;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_h = ph;
  p.pad_w = pw;
  return p;
}

// The window settings exercised everywhere: ResNet's stem pool, a plain 2x2, stride 1 with
// padding, and an asymmetric one.
const std::vector<Pool2dParams> kSettings = {pool(3, 3, 2, 2, 1, 1), pool(2, 2, 2, 2, 0, 0),
                                             pool(3, 3, 1, 1, 1, 1), pool(3, 2, 1, 2, 1, 0)};

std::string describe(const Pool2dParams& p) {
  return str("k", p.kernel_h, "x", p.kernel_w, " s", p.stride_h, "x", p.stride_w, " p", p.pad_h,
             "x", p.pad_w);
}

enum class PoolKind { Max, Avg };

// Float64 loops: forward values, and the backward for a given dy (max routes to the first
// maximum in scan order, avg spreads dy / (kh * kw) over the window's in-bounds cells).
struct PoolReference {
  std::vector<float> y, dx;
};

PoolReference pool_reference(PoolKind kind, const Tensor& x_t, const Pool2dParams& p,
                             const Tensor& dy_t = Tensor()) {
  const int64_t N = x_t.size(0), C = x_t.size(1), H = x_t.size(2), W = x_t.size(3);
  const int64_t OH = (H + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1;
  const int64_t OW = (W + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1;
  const std::vector<float> x = x_t.to_vector();
  const std::vector<float> dy =
      dy_t.defined() ? dy_t.to_vector() : std::vector<float>(N * C * OH * OW, 0.f);
  std::vector<double> y(N * C * OH * OW), dx(x.size(), 0.0);
  for (int64_t plane = 0; plane < N * C; ++plane)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int64_t best_at = -1;
        for (int64_t i = 0; i < p.kernel_h; ++i)
          for (int64_t j = 0; j < p.kernel_w; ++j) {
            const int64_t h = oh * p.stride_h - p.pad_h + i, w = ow * p.stride_w - p.pad_w + j;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;  // padding: -inf or 0
            const int64_t at = (plane * H + h) * W + w;
            sum += x[at];
            if (x[at] > best) {
              best = x[at];
              best_at = at;
            }
          }
        const int64_t o = (plane * OH + oh) * OW + ow;
        const double divisor = p.kernel_h * p.kernel_w;
        if (kind == PoolKind::Max) {
          y[o] = best;
          dx[best_at] += dy[o];
        } else {
          y[o] = sum / divisor;
          for (int64_t i = 0; i < p.kernel_h; ++i)
            for (int64_t j = 0; j < p.kernel_w; ++j) {
              const int64_t h = oh * p.stride_h - p.pad_h + i, w = ow * p.stride_w - p.pad_w + j;
              if (h >= 0 && h < H && w >= 0 && w < W)
                dx[(plane * H + h) * W + w] += dy[o] / divisor;
            }
        }
      }
  return {std::vector<float>(y.begin(), y.end()), std::vector<float>(dx.begin(), dx.end())};
}

Tensor run_pool(PoolKind kind, const Tensor& x, const Pool2dParams& p) {
  return kind == PoolKind::Max ? max_pool2d(x, p) : avg_pool2d(x, p);
}

// Values k * 0.05 in a shuffled order: no two cells within 0.05, so a finite-difference
// step of 0.01 never changes which cell is the maximum.
Tensor distinct_values(const Shape& shape, uint64_t seed) {
  const int64_t n = shape_numel(shape);
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.05f * static_cast<float>(i - n / 2);
  const std::vector<float> keys = test::random_tensor({n}, seed).to_vector();
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  std::vector<float> shuffled(n);
  for (int64_t i = 0; i < n; ++i) shuffled[i] = v[order[i]];
  return Tensor::from_vector(shuffled, shape);
}

}  // namespace

TEST_CASE("max_pool2d and avg_pool2d forward and backward match float64 loops") {
  for (PoolKind kind : {PoolKind::Max, PoolKind::Avg}) {
    for (const Pool2dParams& p : kSettings) {
      CAPTURE(describe(p));
      CAPTURE(kind == PoolKind::Max ? "max" : "avg");
      Tensor x = test::random_tensor({2, 3, 9, 11}, 11).set_requires_grad(true);
      Tensor y = run_pool(kind, x, p);
      Tensor dy = test::random_tensor(y.shape(), 12);
      const PoolReference ref = pool_reference(kind, x, p, dy);
      test::expect_close(y.to_vector(), ref.y, kind == PoolKind::Max ? 0 : 1e-6, 1e-6, "y");
      y.backward(dy);
      test::expect_close(x.grad().to_vector(), ref.dx, 1e-6, 1e-6, "dx");
    }
  }
}

TEST_CASE("pool output sizes follow PyTorch's floor mode") {
  Tensor stem = test::random_tensor({1, 2, 112, 112}, 21);
  CHECK(max_pool2d(stem, pool(3, 3, 2, 2, 1, 1)).shape() == Shape{1, 2, 56, 56});
  Tensor odd = test::random_tensor({2, 1, 7, 5}, 22);
  CHECK(max_pool2d(odd, pool(2, 2, 2, 2, 0, 0)).shape() == Shape{2, 1, 3, 2});
  CHECK(avg_pool2d(odd, pool(3, 2, 1, 2, 1, 0)).shape() == Shape{2, 1, 7, 2});
  CHECK(avg_pool2d(odd, pool(7, 5, 1, 1, 0, 0)).shape() == Shape{2, 1, 1, 1});
  CHECK(global_avg_pool2d(odd).shape() == Shape{2, 1});
}

TEST_CASE("max_pool2d ties go to the first cell in scan order; padding is -inf") {
  // All cells equal: every window picks its top-left in-bounds cell.
  Tensor x = Tensor::full({1, 1, 4, 4}, -3.f).set_requires_grad(true);
  Tensor y = max_pool2d(x, pool(2, 2, 2, 2, 0, 0));
  CHECK(y.to_vector() == std::vector<float>{-3.f, -3.f, -3.f, -3.f});  // not the 0 of padding
  y.backward(Tensor::from_vector<float>({1.f, 2.f, 3.f, 4.f}, {1, 1, 2, 2}));
  CHECK(x.grad().to_vector() == std::vector<float>{1.f, 0.f, 2.f, 0.f, 0.f, 0.f, 0.f, 0.f, 3.f, 0.f,
                                                   4.f, 0.f, 0.f, 0.f, 0.f, 0.f});
  // Overlapping padded windows over negative values: padding never wins, and a cell chosen
  // by several windows receives the sum of their gradients.
  Tensor z =
      Tensor::from_vector<float>({-1.f, -1.f, -2.f, -1.f}, {1, 1, 2, 2}).set_requires_grad(true);
  Tensor yz = max_pool2d(z, pool(3, 3, 1, 1, 1, 1));
  CHECK(yz.to_vector() == std::vector<float>{-1.f, -1.f, -1.f, -1.f});
  yz.backward(Tensor::from_vector<float>({1.f, 10.f, 100.f, 1000.f}, {1, 1, 2, 2}));
  CHECK(z.grad().to_vector() == std::vector<float>{1111.f, 0.f, 0.f, 0.f});
}

TEST_CASE("global_avg_pool2d forward and backward") {
  Tensor x = test::random_tensor({3, 4, 5, 7}, 31).set_requires_grad(true);
  Tensor y = global_avg_pool2d(x);
  const std::vector<float> xv = x.to_vector();
  std::vector<float> ref(12);
  for (int64_t p = 0; p < 12; ++p) {
    double s = 0;
    for (int64_t i = 0; i < 35; ++i) s += xv[p * 35 + i];
    ref[p] = static_cast<float>(s / 35);
  }
  test::expect_close(y.to_vector(), ref, 1e-7, 1e-6, "y");
  Tensor dy = test::random_tensor({3, 4}, 32);
  y.backward(dy);
  const std::vector<float> dyv = dy.to_vector(), dx = x.grad().to_vector();
  std::vector<float> dx_ref(dx.size());
  for (size_t i = 0; i < dx.size(); ++i) dx_ref[i] = static_cast<float>(dyv[i / 35] / 35.0);
  test::expect_close(dx, dx_ref, 1e-7, 1e-6, "dx");
}

TEST_CASE("pool gradients match finite differences") {
  for (const Pool2dParams& p : kSettings) {
    CAPTURE(describe(p));
    Tensor xm = distinct_values({2, 2, 7, 6}, 41).set_requires_grad(true);
    test::check_gradients([&](const std::vector<Tensor>& in) { return max_pool2d(in[0], p); },
                          {xm});
    Tensor xa = test::random_tensor({2, 2, 7, 6}, 42).set_requires_grad(true);
    test::check_gradients([&](const std::vector<Tensor>& in) { return avg_pool2d(in[0], p); },
                          {xa});
  }
  Tensor xg = test::random_tensor({2, 3, 5, 4}, 43).set_requires_grad(true);
  test::check_gradients([](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); },
                        {xg});
}

TEST_CASE("pool ops reject bad arguments") {
  Tensor x = test::random_tensor({2, 3, 8, 8}, 51);
  CHECK_THROWS_WITH_AS(max_pool2d(test::random_tensor({3, 8, 8}, 52), pool(2, 2, 2, 2, 0, 0)),
                       "max_pool2d: argument 'x' must have rank 4, got f32[3, 8, 8] on cpu", Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, pool(3, 3, 2, 2, 2, 1)),
                       "avg_pool2d: padding 2x1 must be at most half the kernel 3x3", Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(0, 2, 1, 1, 0, 0)),
                       "max_pool2d: kernel must be at least 1x1, got 0x2", Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(2, 2, 1, 0, 0, 0)),
                       "max_pool2d: stride must be at least 1x1, got 1x0", Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, pool(2, 2, 1, 1, -1, 0)),
                       doctest::Contains("padding must be non-negative"), Error);
  CHECK_THROWS_WITH_AS(
      max_pool2d(test::random_tensor({1, 1, 2, 9}, 53), pool(3, 3, 1, 1, 0, 0)),
      "max_pool2d: input f32[1, 1, 2, 9] on cpu is smaller than the kernel 3x3 with padding 0x0",
      Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::zeros({1, 1, 4, 4}, DType::I32), pool(2, 2, 2, 2, 0, 0)),
                       doctest::Contains("avg_pool2d: argument 'x' must be f32"), Error);
  CHECK_THROWS_WITH_AS(global_avg_pool2d(test::random_tensor({2, 3}, 54)),
                       doctest::Contains("global_avg_pool2d: argument 'x' must have rank 4"),
                       Error);
  CHECK_THROWS_WITH_AS(global_avg_pool2d(Tensor::zeros({2, 3, 0, 4})),
                       doctest::Contains("global_avg_pool2d: input has an empty plane"), Error);
}
