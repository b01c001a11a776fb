// linear, matmul and the shared GEMM: values against naive loops for every transpose
// combination, gradients by finite differences, CUDA against the CPU, errors, and a small
// MLP that learns XOR through autograd.
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/linear.h"
#include "framework/ops/loss.h"
#include "framework/random.h"
#include "base/runtime.h"
#include "kernels/gemm.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// C (M, N) = alpha * op(A) op(B) + beta * C, row-major, in double.
std::vector<float> naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                              const std::vector<float>& a, const std::vector<float>& b, float beta,
                              const std::vector<float>& c) {
  std::vector<float> out(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<double>(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = static_cast<float>(alpha * s + beta * c[i * n + j]);
    }
  return out;
}

}  // namespace

TEST_CASE("gemm_cpu matches a naive product for every transpose combination") {
  const int64_t m = 5, n = 7, k = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      const std::vector<float> a = test::random_tensor({m * k}, 1).to_vector();
      const std::vector<float> b = test::random_tensor({k * n}, 2).to_vector();
      std::vector<float> c = test::random_tensor({m * n}, 3).to_vector();
      const std::vector<float> expect = naive_gemm(ta, tb, m, n, k, 1.5f, a, b, 0.5f, c);
      gemm_cpu(c.data(), a.data(), b.data(), m, n, k, ta ? Transpose::Yes : Transpose::No,
               tb ? Transpose::Yes : Transpose::No, 1.5f, 0.5f);
      test::expect_close(c, expect, 1e-5, 1e-5, "gemm");
    }
  // beta = 0 never reads C (NaN stays out), and K = 0 gives beta * C.
  std::vector<float> c(4, NAN), a(2, 1.f), b(2, 2.f);
  gemm_cpu(c.data(), a.data(), b.data(), 2, 2, 1, Transpose::No, Transpose::No, 1.f, 0.f);
  CHECK(c == std::vector<float>(4, 2.f));
  gemm_cpu(c.data(), a.data(), b.data(), 2, 2, 0, Transpose::No, Transpose::No, 1.f, 3.f);
  CHECK(c == std::vector<float>(4, 6.f));
}

TEST_CASE("linear and matmul values") {
  Tensor x = test::random_tensor({5, 7}, 4), w = test::random_tensor({3, 7}, 5);
  Tensor b = test::random_tensor({3}, 6);
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
  std::vector<float> with_bias(15), no_bias(15);
  for (int n = 0; n < 5; ++n)
    for (int o = 0; o < 3; ++o) {
      double s = 0;
      for (int i = 0; i < 7; ++i) s += static_cast<double>(xv[n * 7 + i]) * wv[o * 7 + i];
      no_bias[n * 3 + o] = static_cast<float>(s);
      with_bias[n * 3 + o] = static_cast<float>(s + bv[o]);
    }
  Tensor y = linear(x, w, b);
  CHECK(y.shape() == Shape{5, 3});
  test::expect_close(y.to_vector(), with_bias, 1e-5, 1e-5, "linear");
  test::expect_close(linear(x, w, Tensor()).to_vector(), no_bias, 1e-5, 1e-5, "linear no bias");
  CHECK(test::bit_equal(linear(x, w, b), y));  // repeats to the bit

  Tensor a = test::random_tensor({4, 6}, 7), c = test::random_tensor({6, 5}, 8);
  const std::vector<float> expect = naive_gemm(false, false, 4, 5, 6, 1.f, a.to_vector(),
                                               c.to_vector(), 0.f, std::vector<float>(20, 0.f));
  test::expect_close(matmul(a, c).to_vector(), expect, 1e-5, 1e-5, "matmul");
}

TEST_CASE("linear and matmul gradients match finite differences") {
  Tensor x = test::random_tensor({5, 7}, 9).set_requires_grad(true);
  Tensor w = test::random_tensor({3, 7}, 10).set_requires_grad(true);
  Tensor b = test::random_tensor({3}, 11).set_requires_grad(true);
  using Inputs = std::vector<Tensor>;
  test::check_gradients([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  test::check_gradients([](const Inputs& in) { return linear(in[0], in[1], Tensor()); }, {x, w});
  Tensor a = test::random_tensor({4, 6}, 12).set_requires_grad(true);
  Tensor c = test::random_tensor({6, 3}, 13).set_requires_grad(true);
  test::check_gradients([](const Inputs& in) { return matmul(in[0], in[1]); }, {a, c});
}

TEST_CASE("linear and matmul errors name the op and both shapes") {
  Tensor x = test::random_tensor({5, 7}, 14), w = test::random_tensor({3, 6}, 15);
  CHECK_THROWS_WITH_AS(linear(x, w, Tensor()),
                       "linear: x f32[5, 7] on cpu has 7 features but weight f32[3, 6] on cpu "
                       "expects 6 (weight is (out, in))",
                       Error);
  CHECK_THROWS_WITH_AS(linear(x, test::random_tensor({3, 7}, 16), test::random_tensor({4}, 17)),
                       "linear: bias f32[4] on cpu does not match weight f32[3, 7] on cpu; "
                       "expected shape [3]",
                       Error);
  CHECK_THROWS_WITH_AS(linear(test::random_tensor({7}, 18), w, Tensor()),
                       doctest::Contains("linear: argument 'x' must have rank 2"), Error);
  CHECK_THROWS_WITH_AS(matmul(x, w),
                       "matmul: a f32[5, 7] on cpu and b f32[3, 6] on cpu cannot be multiplied: a "
                       "has 7 columns, b has 3 rows",
                       Error);
}

TEST_CASE("a linear-relu-linear MLP learns XOR with SGD") {
  // 2 -> 8 -> 1, full-batch SGD (lr 0.2) on the MSE, seed 7: must reach MSE < 0.01 within 200
  // steps (it takes 55 on the CPU).
  Generator gen(7);
  auto uniform = [&gen](const Shape& shape, float bound) {
    std::vector<float> v(shape_numel(shape));
    for (float& e : v) e = gen.uniform(-bound, bound);
    return Tensor::from_vector(v, shape).set_requires_grad(true);
  };
  Tensor w1 = uniform({8, 2}, 1.f), b1 = uniform({8}, 1.f);
  Tensor w2 = uniform({1, 8}, 0.35f), b2 = uniform({1}, 0.35f);
  const Tensor x = Tensor::from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = Tensor::from_vector<float>({0, 1, 1, 0}, {4, 1});
  std::vector<Tensor> params = {w1, b1, w2, b2};
  const float lr = 0.2f;
  float loss_value = 1.f;
  int step = 0;
  for (; step < 200 && loss_value >= 0.01f; ++step) {
    Tensor loss = mse_loss(linear(relu(linear(x, w1, b1)), w2, b2), y);
    loss_value = loss.item();
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor& p : params) {
      add_(p, mul_scalar(p.grad(), -lr));
      p.zero_grad();
    }
  }
  INFO("XOR MLP: MSE ", loss_value, " after ", step, " steps");
  CHECK(loss_value < 0.01f);
}
