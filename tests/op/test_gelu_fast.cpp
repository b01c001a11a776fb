// The fast CPU GELU (kernels/gelu_fast.cpp, kernels/fast_math.h) against the reference
// (std::erf, std::exp): erf and exp in ulps of the exact (double) values over dense grids and
// edge values, the GELU forward and backward against the reference kernels, NaN kept, and the
// LEARNER_CPU_GELU switch. The op's own tests (test_transformer_ops.cpp) run the fast path.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/fast_math.h"
#include "kernels/gelu.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// |got - exact| in units of the float spacing at the exact value.
double ulps(float got, double exact) {
  const float e = static_cast<float>(exact);
  const double spacing = std::nextafter(std::fabs(e), std::numeric_limits<float>::infinity()) - std::fabs(e);
  return std::fabs(static_cast<double>(got) - exact) / spacing;
}

std::vector<float> grid(float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i <= n; ++i) v.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n));
  return v;
}

}  // namespace

TEST_CASE("fast::erf is within 2 ulp of erf and fast::exp_nonpositive within 2 ulp of exp") {
  double worst_erf = 0, worst_exp = 0;
  float at_erf = 0, at_exp = 0;
  std::vector<float> xs = grid(-6.f, 6.f, 400000);
  for (float x : {0.f, -0.f, 1e-30f, -1e-30f, 1e-8f, 0.999999f, 1.f, 1.000001f, 3.9f, 4.f, 4.1f, 1e30f, -1e30f})
    xs.push_back(x);
  for (float x : grid(-1e-3f, 1e-3f, 20000)) xs.push_back(x);
  for (float x : xs) {
    const double u = ulps(fast::erf(x), std::erf(static_cast<double>(x)));
    if (u > worst_erf) worst_erf = u, at_erf = x;
  }
  for (float y : grid(-87.f, 0.f, 400000)) {
    const double u = ulps(fast::exp_nonpositive(y), std::exp(static_cast<double>(y)));
    if (u > worst_exp) worst_exp = u, at_exp = y;
  }
  MESSAGE("fast::erf: worst ", worst_erf, " ulp at ", at_erf, "; fast::exp_nonpositive: worst ", worst_exp, " ulp at ",
          at_exp);
  CHECK(worst_erf <= 2.0);
  CHECK(worst_exp <= 2.0);
  CHECK(fast::erf(0.f) == 0.f);
  CHECK(fast::erf(10.f) == 1.f);
  CHECK(fast::erf(-10.f) == -1.f);
  CHECK(std::isnan(fast::erf(std::numeric_limits<float>::quiet_NaN())));
  CHECK(fast::exp_nonpositive(0.f) == 1.f);
  CHECK(fast::exp_nonpositive(-1000.f) > 0.f);  // clamped at e^-87, a normal float
  CHECK(std::isnan(fast::exp_nonpositive(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("the fast CPU GELU matches the reference kernels forward and backward") {
  std::vector<float> x = grid(-10.f, 10.f, 100001);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  const int64_t n = static_cast<int64_t>(x.size());
  const Tensor dy_t = test::random_tensor({n}, 7);
  const std::vector<float> dy = dy_t.to_vector();
  std::vector<float> y_ref(n), y_fast(n), dx_ref(n), dx_fast(n);
  gelu_forward_cpu(y_ref.data(), x.data(), n);
  gelu_forward_fast_cpu(y_fast.data(), x.data(), n);
  gelu_backward_cpu(dx_ref.data(), dy.data(), x.data(), n);
  gelu_backward_fast_cpu(dx_fast.data(), dy.data(), x.data(), n);
  double worst_y = 0, worst_dx = 0;
  for (int64_t i = 0; i + 1 < n; ++i) {
    // Relative to the value where it is above 1, absolute below (near 0, for x << 0).
    worst_y = std::max<double>(worst_y, std::fabs(y_fast[i] - y_ref[i]) / std::max(std::fabs(y_ref[i]), 1.f));
    worst_dx = std::max<double>(worst_dx, std::fabs(dx_fast[i] - dx_ref[i]) / std::max(std::fabs(dx_ref[i]), 1.f));
  }
  MESSAGE("fast GELU against the reference: forward ", worst_y, ", backward ", worst_dx);
  CHECK(worst_y <= 5e-7);
  CHECK(worst_dx <= 5e-7);
  CHECK(std::isnan(y_fast[n - 1]));
  CHECK(std::isnan(dx_fast[n - 1]));
  CHECK(gelu_cpu_fast());  // the tests run without LEARNER_CPU_GELU
}
