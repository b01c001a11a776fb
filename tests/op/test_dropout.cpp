// Dropout: identity in evaluation, mask statistics, reproducibility from the generator state,
// the backward mask, CUDA against the CPU bit for bit, and bad probabilities.
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/dropout.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("dropout is the identity in evaluation and for p = 0") {
  Tensor x = test::random_tensor({4, 5}, 1);
  Generator gen(3);
  CHECK(dropout(x, 0.5f, false, gen).same(x));
  CHECK(dropout(x, 0.f, true, gen).same(x));
  CHECK(gen.counter() == 0);  // nothing drawn
}

TEST_CASE("dropout drops a fraction p and scales the rest by 1/(1-p)") {
  const int64_t n = 100000;
  const float p = 0.3f;
  Tensor x = test::random_tensor({n}, 2, 0.5f, 1.5f);  // never zero, so zeros mark drops
  Generator gen(11);
  Tensor y = dropout(x, p, true, gen);
  CHECK(gen.counter() == static_cast<uint64_t>(n));  // one counter per element
  const std::vector<float> xv = x.to_vector(), yv = y.to_vector();
  int64_t dropped = 0;
  bool scaled = true;
  for (int64_t i = 0; i < n; ++i) {
    if (yv[i] == 0.f) {
      ++dropped;
    } else {
      scaled = scaled && yv[i] == xv[i] * (1.f / (1.f - p));
    }
  }
  CHECK(scaled);
  // Binomial(n, 0.3): standard deviation 0.00145 in the fraction; 0.01 is about 7 of them.
  const double fraction = static_cast<double>(dropped) / n;
  CHECK(std::abs(fraction - p) < 0.01);
  // The mean survives in expectation.
  double sx = 0, sy = 0;
  for (int64_t i = 0; i < n; ++i) {
    sx += xv[i];
    sy += yv[i];
  }
  CHECK(std::abs(sy / sx - 1.0) < 0.02);
}

TEST_CASE("dropout masks repeat for the same generator state and differ otherwise") {
  Tensor x = test::random_tensor({7, 9}, 4, 0.5f, 1.5f);
  Generator a(42), b(42);
  Tensor first = dropout(x, 0.5f, true, a);
  CHECK(test::bit_equal(first, dropout(x, 0.5f, true, b)));
  Tensor second = dropout(x, 0.5f, true, a);  // the counter moved on: a new mask
  CHECK_FALSE(test::bit_equal(first, second));
  Generator c(43);
  CHECK_FALSE(test::bit_equal(first, dropout(x, 0.5f, true, c)));
  // Restoring the state (as a checkpoint does) gives the mask again.
  a.set_state(42, 0);
  CHECK(test::bit_equal(first, dropout(x, 0.5f, true, a)));
}

TEST_CASE("dropout backward applies the forward mask") {
  Tensor x = test::random_tensor({5, 6}, 5, 0.5f, 1.5f).set_requires_grad(true);
  Generator gen(9);
  Tensor y = dropout(x, 0.4f, true, gen);
  Tensor g = test::random_tensor({5, 6}, 6);
  y.backward(g);
  const std::vector<float> xv = x.to_vector(), yv = y.to_vector(), gv = g.to_vector();
  const std::vector<float> dx = x.grad().to_vector();
  for (size_t i = 0; i < xv.size(); ++i) {
    CAPTURE(i);
    CHECK(dx[i] == (yv[i] == 0.f ? 0.f : gv[i] * (1.f / 0.6f)));
  }
  // Finite differences, with the generator reset inside f so every evaluation shares a mask.
  test::check_gradients(
      [](const std::vector<Tensor>& in) {
        Generator local(9);
        return dropout(in[0], 0.4f, true, local);
      },
      {x});
}

TEST_CASE("dropout rejects p outside [0, 1)") {
  Tensor x = test::random_tensor({3}, 7);
  CHECK_THROWS_WITH_AS(dropout(x, 1.f, true), "dropout: probability p must lie in [0, 1), got 1",
                       Error);
  CHECK_THROWS_WITH_AS(dropout(x, -0.1f, false), doctest::Contains("got -0.1"), Error);
  CHECK_THROWS_WITH_AS(dropout(Tensor::zeros({3}, DType::I64), 0.5f, true),
                       doctest::Contains("dropout: argument 'x' must be f32"), Error);
}
