// Autograd: shared subexpressions, accumulation across backward calls, no-grad,
// non-differentiable paths, and a tiny network that learns.
#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("shared subexpressions sum their gradients") {
  // y = (a*b) + (a*b)*a  =>  dy/da = b + 2ab,  dy/db = a + a^2
  Tensor a = Tensor::from_vector<float>({2.f, -3.f}, {2}).set_requires_grad(true);
  Tensor b = Tensor::from_vector<float>({5.f, 0.5f}, {2}).set_requires_grad(true);
  Tensor ab = mul(a, b);
  Tensor y = add(ab, mul(ab, a));
  y.backward(Tensor::ones({2}));
  CHECK(a.grad().to_vector() == std::vector<float>{5.f + 2 * 2 * 5, 0.5f + 2 * -3 * 0.5f});
  CHECK(b.grad().to_vector() == std::vector<float>{2.f + 4.f, -3.f + 9.f});
}

TEST_CASE("the same leaf used twice in one op") {
  Tensor a = Tensor::from_vector<float>({3.f}, {1}).set_requires_grad(true);
  add(a, a).backward();
  CHECK(a.grad().item() == 2.f);
  mul(a, a).backward();  // a second backward accumulates: 2 + 2a
  CHECK(a.grad().item() == 8.f);
  a.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("gradients of two leaves never alias") {
  Tensor a = Tensor::from_vector<float>({1.f}, {1}).set_requires_grad(true);
  Tensor b = Tensor::from_vector<float>({1.f}, {1}).set_requires_grad(true);
  add(a, b).backward();   // add hands the same gradient tensor to both inputs
  mul_scalar(a, 5.f).backward();
  CHECK(a.grad().item() == 6.f);
  CHECK(b.grad().item() == 1.f);
}

TEST_CASE("no-grad guard records nothing") {
  Tensor a = test::random_tensor({3}, 1).set_requires_grad(true);
  {
    NoGradGuard guard;
    Tensor y = mul(a, a);
    CHECK_FALSE(y.requires_grad());
    CHECK_THROWS_WITH_AS(y.backward(Tensor::ones({3})), doctest::Contains("does not require grad"),
                         Error);
  }
  CHECK(mul(a, a).requires_grad());
}

TEST_CASE("backward errors are clear") {
  Tensor a = test::random_tensor({3}, 1).set_requires_grad(true);
  CHECK_THROWS_WITH_AS(mul(a, a).backward(), doctest::Contains("hold one element"), Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros({2}, DType::I64).set_requires_grad(true),
                       doctest::Contains("only f32"), Error);
  Tensor marked = record_non_differentiable(Tensor::zeros({3}), "argmax", {a});
  CHECK_THROWS_WITH_AS(add(marked, a).backward(Tensor::ones({3})),
                       doctest::Contains("'argmax', which is not differentiable"), Error);
  Tensor y = mul(a, a);
  CHECK_THROWS_WITH_AS(y.set_requires_grad(false), doctest::Contains("computed by 'mul'"), Error);
}

TEST_CASE("a deep chain does not overflow the stack") {
  Tensor a = Tensor::from_vector<float>({1.f}, {1}).set_requires_grad(true);
  Tensor y = a;
  for (int i = 0; i < 20000; ++i) y = mul_scalar(y, 1.f);
  y.backward();
  CHECK(a.grad().item() == 1.f);
}

TEST_CASE("the leaf hook fires once per leaf, when its gradient is final") {
  Tensor a = test::random_tensor({3}, 21).set_requires_grad(true);
  Tensor b = test::random_tensor({3}, 22).set_requires_grad(true);
  // a is used three times at different depths; b once.
  Tensor y = add(mul(add(a, b), a), a);
  std::vector<std::pair<const TensorImpl*, std::vector<float>>> seen;
  run_backward(y, Tensor::ones({3}), [&](const TensorImpl& leaf) {
    seen.emplace_back(&leaf, Tensor(leaf.grad).to_vector());
  });
  REQUIRE(seen.size() == 2);
  for (const auto& entry : seen) {
    const auto& leaf = entry.first;  // not a structured binding: clang 14 cannot capture one
    const auto& grad_then = entry.second;
    const Tensor& t = leaf == &a.impl() ? a : b;
    CHECK(grad_then == t.grad().to_vector());  // nothing was added after the hook ran
  }
}
