// Pairwise score distances and embedding similarities: CPU against float64 loops written from
// SPEC.md section 6, gradients, the clamp region, errors, and CUDA against the CPU.
#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/contrastive.h"
#include "base/runtime.h"
#include "kernels/pairwise.h"
#include "tests/util/spec_similarity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// s_ij of SPEC.md section 6 in float64, for one group.
std::vector<double> similarity_spec(const std::vector<float>& u, int64_t B, int64_t E,
                                    Similarity kind) {
  std::vector<double> s(B * B);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < B; ++j) s[i * B + j] = test::spec_similarity(u, E, i, j, kind);
  return s;
}

std::vector<float> to_float(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

std::vector<float> group(const std::vector<float>& v, int64_t g, int64_t size) {
  return std::vector<float>(v.begin() + g * size, v.begin() + (g + 1) * size);
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::fabs(double(x)));
  return m;
}

}  // namespace

TEST_CASE("pairwise_abs_diff matches |y_i - y_j|") {
  for (int64_t B : {2, 3, 8, 64, 257}) {
    const int64_t G = B < 100 ? 3 : 1;
    Tensor y = test::random_tensor({G * B}, 200 + B, 0.f, 1.f);
    const std::vector<float> yv = y.to_vector();
    std::vector<double> ref(G * B * B);
    for (int64_t g = 0; g < G; ++g)
      for (int64_t i = 0; i < B; ++i)
        for (int64_t j = 0; j < B; ++j)
          ref[(g * B + i) * B + j] = std::fabs(double(yv[g * B + i]) - double(yv[g * B + j]));
    Tensor d = pairwise_abs_diff(y, G);
    CHECK(d.shape() == Shape{G, B, B});
    test::expect_close(d.to_vector(), to_float(ref), 1e-7, 0, "distance");
    test::expect_close(pairwise_abs_diff(y.view_as_shape({G, B}), G), d, 0, 0,
                       "(G, B) input");
  }
  CHECK_THROWS_WITH_AS(pairwise_abs_diff(test::random_tensor({7}, 1), 2),
                       doctest::Contains("must be (G*B) or (G, B) with G = 2"), Error);
}

TEST_CASE("pairwise_similarity matches the spec") {
  for (Similarity kind : {Similarity::Cos, Similarity::L2}) {
    for (int64_t B : {2, 3, 8, 64, 257}) {
      const int64_t G = B < 100 ? 2 : 1, E = B < 100 ? 7 : 3;
      std::vector<float> u = test::random_tensor({G, B, E}, 300 + B).to_vector();
      // Close pairs (l2 precision), an antipodal pair (cos clamp) and a norm below the floor.
      for (int64_t e = 0; e < E; ++e) {
        u[1 * E + e] = u[e] + 1e-3f * float(e % 3);
        if (B > 2) u[2 * E + e] = -u[e];
        if (B > 3) u[3 * E + e] = 1e-10f * u[e];
      }
      Tensor s = pairwise_similarity(Tensor::from_vector(u, {G, B, E}), kind);
      REQUIRE(s.shape() == Shape{G, B, B});
      for (int64_t g = 0; g < G; ++g) {
        const std::vector<double> ref = similarity_spec(group(u, g, B * E), B, E, kind);
        test::expect_close(group(s.to_vector(), g, B * B), to_float(ref), 2e-6, 1e-5,
                           kind == Similarity::Cos ? "cos similarity" : "l2 similarity");
      }
      if (kind == Similarity::Cos && B > 2) CHECK(s.to_vector()[2] == kCosClampLow);
    }
  }
  CHECK_THROWS_WITH_AS(pairwise_similarity(test::random_tensor({5}, 1), Similarity::Cos),
                       doctest::Contains("must be (B, E) or (G, B, E)"), Error);
}

TEST_CASE("pairwise_similarity gradients match finite differences") {
  for (Similarity kind : {Similarity::Cos, Similarity::L2}) {
    Tensor u = test::random_tensor({2, 5, 4}, 41).set_requires_grad(true);
    test::check_gradients(
        [kind](const std::vector<Tensor>& in) { return pairwise_similarity(in[0], kind); }, {u});
    Tensor u2 = test::random_tensor({6, 3}, 42).set_requires_grad(true);
    test::check_gradients(
        [kind](const std::vector<Tensor>& in) { return pairwise_similarity(in[0], kind); }, {u2});
  }
}

TEST_CASE("cos similarity: zero gradient where the clamp binds") {
  const int64_t B = 3, E = 5;
  std::vector<float> u = test::random_tensor({B, E}, 51).to_vector();
  for (int64_t e = 0; e < E; ++e) u[E + e] = -u[e];  // c_01 = -1: (1 + c)/2 < 1e-4
  Tensor x = Tensor::from_vector(u, {B, E}).set_requires_grad(true);
  Tensor s = pairwise_similarity(x, Similarity::Cos);
  CHECK(s.to_vector()[1] == kCosClampLow);
  std::vector<float> w(B * B, 0.f);
  w[0 * B + 1] = 1.f;
  w[1 * B + 0] = -2.f;
  s.backward(Tensor::from_vector(w, {B, B}));
  CHECK(max_abs(x.grad().to_vector()) == 0.0);
  // A pair away from the clamp does get a gradient.
  x.zero_grad();
  std::fill(w.begin(), w.end(), 0.f);
  w[0 * B + 2] = 1.f;
  pairwise_similarity(x, Similarity::Cos).backward(Tensor::from_vector(w, {B, B}));
  CHECK(max_abs(x.grad().to_vector()) > 0.0);
}
