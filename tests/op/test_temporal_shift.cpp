// Temporal shift: the CPU kernel against a plain float64 transcription of SPEC.md section 4,
// gradients, the shift/backward round trip, errors, and both CUDA kernels against the CPU.
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/temporal_shift.h"
#include "base/runtime.h"
#include "kernels/temporal_shift.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// SPEC.md section 4, element by element.
std::vector<double> shift_spec(const std::vector<float>& x, int64_t B, int64_t T, int64_t C,
                               int64_t H, int64_t W, int64_t fold_div) {
  const int64_t fold = C / fold_div;
  std::vector<double> out(x.size());
  auto at = [&](int64_t b, int64_t t, int64_t c, int64_t h, int64_t w) {
    return (((b * T + t) * C + c) * H + h) * W + w;
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            double v;
            if (c < fold)
              v = t == T - 1 ? 0.0 : x[at(b, t + 1, c, h, w)];
            else if (c < 2 * fold)
              v = t == 0 ? 0.0 : x[at(b, t - 1, c, h, w)];
            else
              v = x[at(b, t, c, h, w)];
            out[at(b, t, c, h, w)] = v;
          }
  return out;
}

std::vector<float> to_float(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

}  // namespace

TEST_CASE("temporal_shift matches the spec") {
  struct Case {
    int64_t B, T, C, H, W, fold_div;
  };
  // Odd sizes; C < fold_div (nothing shifts); T = 1 (both shifted groups are all zeros);
  // a fold_div other than 8.
  for (const Case& k : {Case{2, 3, 17, 3, 5, 8}, Case{1, 8, 64, 2, 2, 8}, Case{3, 4, 5, 3, 3, 8},
                        Case{2, 1, 16, 2, 3, 8}, Case{2, 5, 12, 1, 7, 4}}) {
    Tensor x = test::random_tensor({k.B * k.T, k.C, k.H, k.W}, 100 + k.C);
    const std::vector<double> ref = shift_spec(x.to_vector(), k.B, k.T, k.C, k.H, k.W, k.fold_div);
    test::expect_close(temporal_shift(x, k.T, k.fold_div).to_vector(), to_float(ref), 0, 0,
                       "temporal_shift forward");
  }
}

TEST_CASE("temporal_shift backward is the adjoint and matches finite differences") {
  const int64_t B = 2, T = 4, C = 19, H = 2, W = 3;
  Tensor x = test::random_tensor({B * T, C, H, W}, 7).set_requires_grad(true);
  test::check_gradients([&](const std::vector<Tensor>& in) { return temporal_shift(in[0], T); },
                        {x});
  // <shift(x), y> == <x, shift_backward(y)> for every x, y.
  Tensor y = test::random_tensor({B * T, C, H, W}, 8);
  std::vector<float> fx(x.numel()), by(x.numel());
  temporal_shift_forward_cpu(fx.data(), x.data<float>(), B, T, C, H * W, C / 8);
  temporal_shift_backward_cpu(by.data(), y.data<float>(), B, T, C, H * W, C / 8);
  const std::vector<float> xv = x.to_vector(), yv = y.to_vector();
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    lhs += double(fx[i]) * yv[i];
    rhs += double(xv[i]) * by[i];
  }
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
}

TEST_CASE(
    "temporal_shift then its backward: identity on unshifted channels, zero ends on shifted") {
  const int64_t B = 3, T = 5, C = 24, HW = 6, fold = C / 8;
  Tensor x = test::random_tensor({B * T, C, 2, 3}, 9);
  std::vector<float> fx(x.numel()), round(x.numel());
  temporal_shift_forward_cpu(fx.data(), x.data<float>(), B, T, C, HW, fold);
  temporal_shift_backward_cpu(round.data(), fx.data(), B, T, C, HW, fold);
  const std::vector<float> xv = x.to_vector();
  int64_t bad = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t p = 0; p < HW; ++p) {
          const int64_t idx = ((b * T + t) * C + c) * HW + p;
          // The first group loses frame 0 (it was shifted out), the second loses frame T-1.
          const bool lost = (c < fold && t == 0) || (c >= fold && c < 2 * fold && t == T - 1);
          bad += round[idx] != (lost ? 0.f : xv[idx]);
        }
  CHECK(bad == 0);
}

TEST_CASE("temporal_shift rejects bad shapes") {
  Tensor x = test::random_tensor({6, 16, 2, 2}, 1);
  CHECK_THROWS_WITH_AS(temporal_shift(x, 4), doctest::Contains("must be (B*T, C, H, W) with T = 4"),
                       Error);
  CHECK_THROWS_WITH_AS(temporal_shift(x, 3, 1), doctest::Contains("fold_div must be >= 2"), Error);
  CHECK_THROWS_WITH_AS(temporal_shift(test::random_tensor({6, 16}, 2), 3),
                       doctest::Contains("temporal_shift: argument 'x'"), Error);
}

TEST_CASE("temporal_shift float4 eligibility") {
  alignas(16) float buffer[8] = {};
  CHECK(temporal_shift_vectorizable(buffer, buffer, 64, 16, 8));
  CHECK(temporal_shift_vectorizable(buffer, buffer, 256, 49, 32));      // 7x7, but fold*HW % 4 == 0
  CHECK_FALSE(temporal_shift_vectorizable(buffer, buffer, 16, 49, 2));  // fold*HW = 98
  CHECK_FALSE(temporal_shift_vectorizable(buffer + 1, buffer, 64, 16, 8));
}

// The kernels' CPU/CUDA agreement is in the op-case table (op_cases.cpp); here what it
// cannot say: the float4 kernel refuses what it cannot take, and a misaligned view falls
// back to the scalar kernel, exactly.
TEST_CASE("temporal_shift's Vector4 kernel refuses shapes and views it cannot take [cuda]") {
  REQUIRE_GPU_OR_SKIP();
#ifdef LEARNER_WITH_CUDA  // the kernels themselves exist only in CUDA builds
  const Device gpu = Device::cuda(0);
  const cudaStream_t stream = stream_for(gpu);
  struct Case {
    int64_t B, T, C, H, W;
  };
  for (const Case& k : {Case{3, 5, 17, 3, 5}, Case{2, 3, 16, 7, 7}}) {
    const int64_t HW = k.H * k.W, fold = k.C / 8;
    Tensor gx = test::random_tensor({k.B * k.T, k.C, k.H, k.W}, 31 + k.C).to(gpu);
    Tensor out = Tensor::empty(gx.shape(), DType::F32, gpu);
    REQUIRE(!temporal_shift_vectorizable(out.data<float>(), gx.data<float>(), k.C, HW, fold));
    CHECK_THROWS_AS(temporal_shift_forward_cuda(out.data<float>(), gx.data<float>(), k.B, k.T, k.C, HW, fold,
                                                ShiftKernel::Vector4, stream),
                    Error);
  }
  // A misaligned view (one float in) must fall back to the scalar kernel and stay exact.
  Tensor x = test::random_tensor({2 * 4 * 16 * 4 + 1}, 77);
  Tensor gx = x.to(gpu), out = Tensor::empty({2 * 4 * 16 * 4 + 1}, DType::F32, gpu);
  std::vector<float> ref(2 * 4 * 16 * 4);
  temporal_shift_forward_cpu(ref.data(), x.data<float>() + 1, 2, 4, 16, 4, 2);
  temporal_shift_forward_cuda(out.data<float>() + 1, gx.data<float>() + 1, 2, 4, 16, 4, 2,
                              ShiftKernel::Auto, stream);
  std::vector<float> got = out.to_vector();
  test::expect_close(std::vector<float>(got.begin() + 1, got.end()), ref, 0, 0, "misaligned shift");
#endif
}
