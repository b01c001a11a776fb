// Optimizers and schedules against the formulas written out plainly in double.
#include <cmath>

#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
// PyTorch's Adam for one parameter over several steps, in double.
std::vector<double> reference_adam(std::vector<double> p, const std::vector<std::vector<double>>& grads,
                                   const optim::AdamOptions& o) {
  std::vector<double> m(p.size(), 0), v(p.size(), 0);
  for (size_t t = 1; t <= grads.size(); ++t) {
    const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
    for (size_t i = 0; i < p.size(); ++i) {
      const double g = grads[t - 1][i] + o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      p[i] -= o.lr / bc1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + o.eps);
    }
  }
  return p;
}

std::vector<float> to_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }
}  // namespace

TEST_CASE("adam follows PyTorch's update with bias correction") {
  for (float wd : {0.f, 0.01f}) {
    optim::AdamOptions o;
    o.lr = 0.01f;
    o.weight_decay = wd;
    Tensor p = test::random_tensor({37}, 1).set_requires_grad(true);
    const std::vector<float> p0 = p.to_vector();
    optim::Adam adam({&p}, o);
    std::vector<std::vector<double>> grads;
    for (int step = 0; step < 5; ++step) {
      Tensor g = test::random_tensor({37}, 10 + step);
      const std::vector<float> gv = g.to_vector();
      grads.emplace_back(gv.begin(), gv.end());
      p.set_grad(g);
      adam.step();
    }
    CHECK(adam.steps_taken() == 5);
    const auto expected = reference_adam({p0.begin(), p0.end()}, grads, o);
    test::expect_close(p.to_vector(), to_float(expected), 1e-6, 1e-5, "adam");
  }
}

TEST_CASE("sgd with momentum follows PyTorch") {
  optim::SgdOptions o;
  o.lr = 0.1f;
  o.momentum = 0.9f;
  Tensor p = test::random_tensor({11}, 2).set_requires_grad(true);
  const std::vector<float> p0 = p.to_vector();
  std::vector<double> ref(p0.begin(), p0.end()), buf(11, 0);
  optim::Sgd sgd({&p}, o);
  for (int step = 0; step < 4; ++step) {
    Tensor g = test::random_tensor({11}, 20 + step);
    const std::vector<float> gv = g.to_vector();
    for (size_t i = 0; i < 11; ++i) {
      buf[i] = step == 0 ? gv[i] : 0.9 * buf[i] + gv[i];
      ref[i] -= 0.1 * buf[i];
    }
    p.set_grad(g);
    sgd.step();
  }
  test::expect_close(p.to_vector(), to_float(ref), 1e-6, 1e-5, "sgd");
}

TEST_CASE("parameters without a gradient are left alone") {
  Tensor a = test::random_tensor({3}, 3).set_requires_grad(true);
  Tensor b = test::random_tensor({3}, 4).set_requires_grad(true);
  const std::vector<float> b0 = b.to_vector();
  optim::Adam adam({&a, &b});
  a.set_grad(test::random_tensor({3}, 5));
  adam.step();
  CHECK(b.to_vector() == b0);
  CHECK(a.to_vector() != std::vector<float>(3, 0.f));
  b.set_grad(Tensor::zeros({4}));
  CHECK_THROWS_WITH_AS(adam.step(), doctest::Contains("gradient of parameter 1 is f32[4]"), Error);
}

TEST_CASE("cosine schedule per step, with and without warm-up") {
  optim::CosineSchedule s;
  s.base_lr = 1e-3f;
  s.total_steps = 100;
  CHECK(s.lr_at(0) == doctest::Approx(1e-3));
  CHECK(s.lr_at(50) == doctest::Approx(0.5e-3));
  CHECK(s.lr_at(100) == doctest::Approx(0.0));
  CHECK(s.lr_at(25) == doctest::Approx(1e-3 * (1 + std::cos(M_PI / 4)) / 2));
  s.warmup_steps = 10;
  CHECK(s.lr_at(0) == doctest::Approx(1e-4));
  CHECK(s.lr_at(9) == doctest::Approx(1e-3));
  CHECK(s.lr_at(10) == doctest::Approx(1e-3));
  CHECK(s.lr_at(55) == doctest::Approx(0.5e-3));
}
