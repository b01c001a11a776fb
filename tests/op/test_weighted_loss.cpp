// Class-weighted cross-entropy (PyTorch's weight=): a hand-computed case, a naive double
// loop, equal weights against the plain loss, finite differences, errors, CUDA against CPU.
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/loss.h"
#include "framework/ops/weighted_loss.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// sum_n w[t_n] * -logp[n, t_n] / sum_n w[t_n], in double.
double naive_weighted_ce(const std::vector<float>& x, const std::vector<int64_t>& t, const std::vector<float>& w,
                         int64_t n, int64_t k) {
  double num = 0, den = 0;
  for (int64_t r = 0; r < n; ++r) {
    double m = x[r * k];
    for (int64_t j = 0; j < k; ++j) m = std::max(m, static_cast<double>(x[r * k + j]));
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += std::exp(x[r * k + j] - m);
    const double logp = x[r * k + t[r]] - m - std::log(s);
    num += w[t[r]] * -logp;
    den += w[t[r]];
  }
  return num / den;
}

}  // namespace

TEST_CASE("weighted cross_entropy by hand: the weighted mean divides by the sum of weights") {
  // Row 0: logits (0, 0), target 0: -logp = ln 2. Row 1: logits (ln 3, 0), target 1:
  // -logp = ln 4. Weights (1, 3): (1 ln 2 + 3 ln 4) / (1 + 3) = 7/4 ln 2.
  Tensor logits = Tensor::from_vector<float>({0.f, 0.f, std::log(3.f), 0.f}, {2, 2});
  CHECK(cross_entropy(logits, {0, 1}, {1.f, 3.f}).item() == doctest::Approx(1.75 * std::log(2.0)).epsilon(1e-6));
  // Not divided by N = 2: that would be (ln 2 + 3 ln 4) / 2.
  CHECK(cross_entropy(logits, {0, 1}, {1.f, 3.f}).item() != doctest::Approx(3.5 * std::log(2.0)));
  // A class with weight 0 drops out: only row 0 counts.
  CHECK(cross_entropy(logits, {0, 1}, {1.f, 0.f}).item() == doctest::Approx(std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("weighted cross_entropy against a naive loop and the unweighted loss") {
  const int64_t n = 7, k = 3;
  Tensor logits = test::random_tensor({n, k}, 31, -3.f, 3.f);
  const std::vector<int64_t> t = {0, 2, 1, 1, 1, 0, 2};
  const std::vector<float> w = {0.5f, 2.25f, 1.75f};
  CHECK(cross_entropy(logits, t, w).item() ==
        doctest::Approx(naive_weighted_ce(logits.to_vector(), t, w, n, k)).epsilon(1e-6));
  // Equal weights, whatever their size, give the plain mean.
  const float plain = cross_entropy(logits, Tensor::from_vector(t, {n})).item();
  CHECK(cross_entropy(logits, t, {4.f, 4.f, 4.f}).item() == doctest::Approx(plain).epsilon(1e-6));
}

TEST_CASE("weighted cross_entropy gradients match finite differences") {
  Tensor logits = test::random_tensor({5, 3}, 32, -2.f, 2.f).set_requires_grad(true);
  const std::vector<int64_t> t = {2, 0, 1, 1, 2};
  test::check_gradients([t](const std::vector<Tensor>& in) { return cross_entropy(in[0], t, {0.4f, 1.3f, 2.f}); },
                        {logits});
}

TEST_CASE("weighted cross_entropy errors name the problem") {
  Tensor logits = test::random_tensor({3, 3}, 33);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1, 3}, {1.f, 1.f, 1.f}),
                       doctest::Contains("target of sample 2 is 3, outside the 3 classes"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1}, {1.f, 1.f, 1.f}), doctest::Contains("have 3 rows but 2 targets"),
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1, 2}, {1.f, 1.f}), doctest::Contains("2 class weights"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1, 2}, {1.f, -1.f, 1.f}), doctest::Contains("must be finite and >= 0"),
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 0, 0}, {0.f, 1.f, 1.f}), doctest::Contains("sum to 0"), Error);
}
