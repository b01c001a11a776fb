// Losses: values against naive double loops, numerical stability, gradients by finite
// differences, CUDA against the CPU, and errors that name the sample and the shapes.
#include <cmath>

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/ops/loss.h"
#include "kernels/mse_loss.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::vector<float> naive_log_softmax(const std::vector<float>& x, int64_t n, int64_t k) {
  std::vector<float> y(n * k);
  for (int64_t r = 0; r < n; ++r) {
    double m = x[r * k];
    for (int64_t j = 0; j < k; ++j) m = std::max(m, static_cast<double>(x[r * k + j]));
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += std::exp(x[r * k + j] - m);
    for (int64_t j = 0; j < k; ++j) y[r * k + j] = static_cast<float>(x[r * k + j] - m - std::log(s));
  }
  return y;
}

}  // namespace

TEST_CASE("log_softmax values and stability") {
  Tensor x = test::random_tensor({5, 7}, 1, -3.f, 3.f);
  test::expect_close(log_softmax(x).to_vector(), naive_log_softmax(x.to_vector(), 5, 7), 1e-6, 1e-6,
                     "log_softmax");
  // Huge logits must not overflow: the row max is subtracted first.
  Tensor big = Tensor::from_vector<float>({1000.f, 1001.f, 999.f, -1000.f, -1000.f, -1000.f}, {2, 3});
  const std::vector<float> y = log_softmax(big).to_vector();
  test::expect_close(y, naive_log_softmax(big.to_vector(), 2, 3), 1e-5, 1e-6, "large logits");
  CHECK(std::fabs(y[3] + std::log(3.f)) < 1e-6);
}

TEST_CASE("cross_entropy and mse_loss values") {
  Tensor logits = test::random_tensor({6, 4}, 2, -2.f, 2.f);
  Tensor target = Tensor::from_vector<int64_t>({0, 3, 1, 1, 2, 3}, {6});
  const std::vector<float> logp = naive_log_softmax(logits.to_vector(), 6, 4);
  double nll = 0;
  const std::vector<int64_t> t = target.to_vector<int64_t>();
  for (int r = 0; r < 6; ++r) nll -= logp[r * 4 + t[r]];
  Tensor ce = cross_entropy(logits, target);
  CHECK(ce.shape() == Shape{});
  CHECK(ce.item() == doctest::Approx(nll / 6).epsilon(1e-6));

  Tensor p = test::random_tensor({3, 5}, 3), q = test::random_tensor({3, 5}, 4);
  const std::vector<float> pv = p.to_vector(), qv = q.to_vector();
  double sq = 0;
  for (size_t i = 0; i < pv.size(); ++i) sq += (pv[i] - qv[i]) * static_cast<double>(pv[i] - qv[i]);
  Tensor mse = mse_loss(p, q);
  CHECK(mse.shape() == Shape{});
  CHECK(mse.item() == doctest::Approx(sq / 15).epsilon(1e-6));
  CHECK(mse_loss(p, p).item() == 0.f);
}

TEST_CASE("loss gradients match finite differences") {
  Tensor logits = test::random_tensor({5, 4}, 5, -2.f, 2.f).set_requires_grad(true);
  Tensor target = Tensor::from_vector<int64_t>({3, 0, 0, 2, 1}, {5});
  using Inputs = std::vector<Tensor>;
  test::check_gradients([](const Inputs& in) { return log_softmax(in[0]); }, {logits});
  test::check_gradients([target](const Inputs& in) { return cross_entropy(in[0], target); },
                        {logits});
  Tensor p = test::random_tensor({4, 3}, 6).set_requires_grad(true);
  Tensor q = test::random_tensor({4, 3}, 7).set_requires_grad(true);
  test::check_gradients([](const Inputs& in) { return mse_loss(in[0], in[1]); }, {p, q});
}

TEST_CASE("cross_entropy backward is (softmax - onehot) / N") {
  Tensor logits = test::random_tensor({3, 4}, 8).set_requires_grad(true);
  Tensor target = Tensor::from_vector<int64_t>({1, 0, 3}, {3});
  cross_entropy(logits, target).backward();
  const std::vector<float> logp = naive_log_softmax(logits.to_vector(), 3, 4);
  std::vector<float> expect(12);
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < 4; ++j)
      expect[r * 4 + j] = (std::exp(logp[r * 4 + j]) - (j == (r == 0 ? 1 : r == 1 ? 0 : 3))) / 3.f;
  test::expect_close(logits.grad().to_vector(), expect, 1e-7, 1e-6, "dlogits");
}

TEST_CASE("loss errors name the sample, the value and the shapes") {
  Tensor logits = test::random_tensor({4, 3}, 9);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 2, 3, 1}, {4})),
                       "cross_entropy: target of sample 2 is 3, outside the 3 classes [0, 3) of "
                       "logits f32[4, 3] on cpu",
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({-1, 0, 0, 0}, {4})),
                       doctest::Contains("target of sample 0 is -1"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 1, 2}, {3})),
                       "cross_entropy: logits f32[4, 3] on cpu have 4 rows but target i64[3] on "
                       "cpu has 3 entries",
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector<int32_t>({0, 1, 2, 0}, {4})),
                       doctest::Contains("cross_entropy: argument 'target' must be i64"), Error);
  CHECK_THROWS_WITH_AS(log_softmax(test::random_tensor({3}, 10)),
                       doctest::Contains("log_softmax: argument 'logits' must have rank 2"), Error);
  CHECK_THROWS_WITH_AS(mse_loss(test::random_tensor({2, 3}, 11), test::random_tensor({3, 2}, 12)),
                       "mse_loss: shapes differ: [2, 3] and [3, 2]", Error);
}

TEST_CASE("cross_entropy on CUDA names a target outside the classes [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const Device gpu = Device::cuda(0);
  Tensor bad = Tensor::from_vector<int64_t>({0, 5}, {2}).to(gpu);
  CHECK_THROWS_WITH_AS(cross_entropy(test::random_tensor({2, 5}, 22).to(gpu), bad),
                       doctest::Contains("target of sample 1 is 5, outside the 5 classes"), Error);
}
