// BatchNorm2d: values and running statistics against a float64 loop, PyTorch numbers,
// finite-difference gradients in both modes, CUDA against the CPU, and bad-use errors.
#include <cmath>

#include "framework/autograd.h"
#include "framework/ops/batchnorm.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// Float64 reference of one forward (and, with dy, the backward), by the textbook formulas.
struct BnReference {
  std::vector<float> y, running_mean, running_var, dx, dweight, dbias;
};

BnReference bn_reference(const Tensor& x_t, const Tensor& w_t, const Tensor& b_t,
                         const Tensor& rm_t, const Tensor& rv_t, bool training, double momentum,
                         double eps, const Tensor& dy_t = Tensor()) {
  const int64_t N = x_t.size(0), C = x_t.size(1), HW = x_t.size(2) * x_t.size(3), M = N * HW;
  const std::vector<float> x = x_t.to_vector(), w = w_t.to_vector(), b = b_t.to_vector();
  const std::vector<float> dy =
      dy_t.defined() ? dy_t.to_vector() : std::vector<float>(x.size(), 0.f);
  BnReference r{std::vector<float>(x.size()), rm_t.to_vector(),      rv_t.to_vector(),
                std::vector<float>(x.size()), std::vector<float>(C), std::vector<float>(C)};
  auto at = [&](int64_t n, int64_t c, int64_t i) { return (n * C + c) * HW + i; };
  for (int64_t c = 0; c < C; ++c) {
    double mean = r.running_mean[c], var = r.running_var[c];
    if (training) {
      double s = 0, sq = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < HW; ++i) s += x[at(n, c, i)];
      mean = s / M;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < HW; ++i) sq += (x[at(n, c, i)] - mean) * (x[at(n, c, i)] - mean);
      var = sq / M;
      r.running_mean[c] = static_cast<float>((1 - momentum) * r.running_mean[c] + momentum * mean);
      r.running_var[c] =
          static_cast<float>((1 - momentum) * r.running_var[c] + momentum * sq / (M - 1));
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) {
        const double xhat = (x[at(n, c, i)] - mean) * invstd;
        r.y[at(n, c, i)] = static_cast<float>(xhat * w[c] + b[c]);
        sum_dy += dy[at(n, c, i)];
        sum_dy_xhat += dy[at(n, c, i)] * xhat;
      }
    r.dweight[c] = static_cast<float>(sum_dy_xhat);
    r.dbias[c] = static_cast<float>(sum_dy);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) {
        const double xhat = (x[at(n, c, i)] - mean) * invstd;
        const double g = dy[at(n, c, i)];
        r.dx[at(n, c, i)] =
            static_cast<float>(training ? w[c] * invstd * (g - sum_dy / M - xhat * sum_dy_xhat / M)
                                        : w[c] * invstd * g);
      }
  }
  return r;
}

struct BnParams {
  Tensor weight, bias, running_mean, running_var;
};

BnParams make_params(int64_t C, uint64_t seed, Device device = Device::cpu()) {
  return {test::random_tensor({C}, seed, 0.5f, 1.5f, device),
          test::random_tensor({C}, seed + 1, -0.5f, 0.5f, device),
          test::random_tensor({C}, seed + 2, -0.3f, 0.3f, device),
          test::random_tensor({C}, seed + 3, 0.5f, 2.f, device)};
}

}  // namespace

TEST_CASE("batch_norm2d train values and running statistics match float64 loops") {
  // An offset mean (values in [2, 5)) checks that the variance does not cancel.
  Tensor x = test::random_tensor({3, 5, 4, 7}, 31, 2.f, 5.f);
  BnParams p = make_params(5, 32);
  const BnReference ref =
      bn_reference(x, p.weight, p.bias, p.running_mean, p.running_var, true, 0.1, 1e-5);
  Tensor y = batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true);
  test::expect_close(y, Tensor::from_vector(ref.y, y.shape()), 1e-5, 1e-5, "y");
  test::expect_close(p.running_mean.to_vector(), ref.running_mean, 1e-6, 1e-6, "running_mean");
  test::expect_close(p.running_var.to_vector(), ref.running_var, 1e-6, 1e-6, "running_var");

  // A second step moves the statistics again, from the updated values.
  Tensor x2 = test::random_tensor({3, 5, 4, 7}, 33);
  const BnReference ref2 =
      bn_reference(x2, p.weight, p.bias, p.running_mean, p.running_var, true, 0.25, 1e-3);
  batch_norm2d(x2, p.weight, p.bias, p.running_mean, p.running_var, true, 0.25f, 1e-3f);
  test::expect_close(p.running_mean.to_vector(), ref2.running_mean, 1e-6, 1e-6, "running_mean 2");
  test::expect_close(p.running_var.to_vector(), ref2.running_var, 1e-6, 1e-6, "running_var 2");
}

TEST_CASE("batch_norm2d eval uses the running statistics and leaves them alone") {
  Tensor x = test::random_tensor({2, 3, 5, 3}, 41);
  BnParams p = make_params(3, 42);
  const std::vector<float> rm = p.running_mean.to_vector(), rv = p.running_var.to_vector();
  const BnReference ref =
      bn_reference(x, p.weight, p.bias, p.running_mean, p.running_var, false, 0.1, 1e-5);
  Tensor y = batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, false);
  test::expect_close(y, Tensor::from_vector(ref.y, y.shape()), 1e-5, 1e-5, "y");
  CHECK(p.running_mean.to_vector() == rm);
  CHECK(p.running_var.to_vector() == rv);
  // One value per channel is fine outside training.
  Tensor one = test::random_tensor({1, 3, 1, 1}, 43);
  CHECK(batch_norm2d(one, p.weight, p.bias, p.running_mean, p.running_var, false).numel() == 3);
}

TEST_CASE("batch_norm2d matches PyTorch on a small case") {
  // Numbers from torch 1.13 F.batch_norm (train, momentum 0.1, eps 1e-5), then eval.
  Tensor x = Tensor::from_vector<float>(
      {0.5f, -1.25f, 2.f, 3.f, 1.5f, -0.5f, 1.f, 0.25f, -2.f, 0.75f, 2.5f, 4.f}, {2, 2, 1, 3});
  x.set_requires_grad(true);
  Tensor w = Tensor::from_vector<float>({1.5f, -0.5f}, {2}).set_requires_grad(true);
  Tensor b = Tensor::from_vector<float>({0.25f, 1.f}, {2}).set_requires_grad(true);
  Tensor rm = Tensor::from_vector<float>({0.1f, -0.2f}, {2});
  Tensor rv = Tensor::from_vector<float>({1.2f, 0.8f}, {2});
  Tensor dy = Tensor::from_vector<float>(
      {1.f, -2.f, 0.5f, 0.25f, 1.5f, -1.f, 2.f, 0.75f, -0.5f, 1.25f, -1.5f, 0.5f}, {2, 2, 1, 3});
  Tensor y = batch_norm2d(x, w, b, rm, rv, true);
  y.backward(dy);
  test::expect_close(y.to_vector(),
                     {0.71512896f, -1.2384127f, 2.3895931f, 0.62103254f, 1.1263225f, 1.8000425f,
                      1.2732837f, 0.43605158f, -2.075645f, 1.3789675f, 0.78946257f, 0.28417253f},
                     1e-6, 1e-5, "y");
  test::expect_close(rm.to_vector(), {0.098333329f, 0.0075000077f}, 1e-7, 1e-6, "running_mean");
  test::expect_close(rv.to_vector(), {1.2966667f, 0.98437494f}, 1e-7, 1e-6, "running_var");
  test::expect_close(
      x.grad().to_vector(),
      {0.48838711f, -1.5907464f, -1.1581637f, -0.0047782599f, -0.45691118f, 0.34382835f, 1.2418981f,
       0.39070904f, 0.62791586f, -0.38822511f, 0.57437408f, -0.068288006f},
      1e-6, 1e-5, "dx");
  test::expect_close(w.grad().to_vector(), {5.2404532f, 0.54739749f}, 1e-6, 1e-5, "dweight");
  test::expect_close(b.grad().to_vector(), {1.75f, 1.f}, 1e-6, 1e-5, "dbias");
  Tensor y_eval = batch_norm2d(x.detach(), w, b, rm, rv, false);
  test::expect_close(y_eval.to_vector(),
                     {0.77910411f, -1.5261214f, 2.7550118f, -0.50807053f, 0.24785456f, 1.2557547f,
                      1.43774f, 0.44978622f, -2.514075f, 0.62581712f, -0.2560955f, -1.0120206f},
                     1e-6, 1e-5, "y eval");
}

TEST_CASE("batch_norm2d backward matches float64 loops in both modes") {
  for (bool training : {true, false}) {
    CAPTURE(training);
    Tensor x = test::random_tensor({4, 3, 3, 5}, 51).set_requires_grad(true);
    BnParams p = make_params(3, 52);
    p.weight.set_requires_grad(true);
    p.bias.set_requires_grad(true);
    Tensor dy = test::random_tensor(x.shape(), 53);
    Tensor rm = p.running_mean.clone(), rv = p.running_var.clone();
    const BnReference ref = bn_reference(x, p.weight, p.bias, rm, rv, training, 0.1, 1e-5, dy);
    batch_norm2d(x, p.weight, p.bias, rm, rv, training).backward(dy);
    test::expect_close(x.grad(), Tensor::from_vector(ref.dx, x.shape()), 1e-5, 1e-4, "dx");
    test::expect_close(p.weight.grad().to_vector(), ref.dweight, 1e-5, 1e-5, "dweight");
    test::expect_close(p.bias.grad().to_vector(), ref.dbias, 1e-5, 1e-5, "dbias");
  }
}

TEST_CASE("batch_norm2d gradients match finite differences") {
  for (bool training : {true, false}) {
    CAPTURE(training);
    Tensor x = test::random_tensor({2, 3, 3, 5}, 61, -2.f, 2.f).set_requires_grad(true);
    BnParams p = make_params(3, 62);
    p.weight.set_requires_grad(true);
    p.bias.set_requires_grad(true);
    Tensor rm = p.running_mean, rv = p.running_var;
    test::check_gradients(
        [&](const std::vector<Tensor>& in) {
          return batch_norm2d(in[0], in[1], in[2], rm, rv, training);
        },
        {x, p.weight, p.bias});
  }
}

TEST_CASE("batch_norm2d is deterministic on the CPU") {
  Tensor x = test::random_tensor({3, 4, 9, 7}, 71);
  BnParams p = make_params(4, 72), q = make_params(4, 72);
  Tensor y1 = batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true);
  Tensor y2 = batch_norm2d(x, q.weight, q.bias, q.running_mean, q.running_var, true);
  CHECK(test::bit_equal(y1, y2));
  CHECK(test::bit_equal(p.running_var, q.running_var));
}

TEST_CASE("batch_norm2d rejects bad arguments") {
  BnParams p = make_params(3, 81);
  Tensor x = test::random_tensor({2, 3, 4, 4}, 82);
  CHECK_THROWS_WITH_AS(
      batch_norm2d(test::random_tensor({1, 3, 1, 1}, 83), p.weight, p.bias, p.running_mean,
                   p.running_var, true),
      "batch_norm2d: expected more than 1 value per channel when training, got input "
      "f32[1, 3, 1, 1] on cpu",
      Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(test::random_tensor({3, 4, 4}, 84), p.weight, p.bias,
                                    p.running_mean, p.running_var, true),
                       doctest::Contains("batch_norm2d: argument 'x' must have rank 4"), Error);
  BnParams four = make_params(4, 85);
  CHECK_THROWS_WITH_AS(
      batch_norm2d(x, four.weight, p.bias, p.running_mean, p.running_var, true),
      "batch_norm2d: argument 'weight' must have one value per channel (3 for input "
      "f32[2, 3, 4, 4] on cpu), got f32[4] on cpu",
      Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, p.weight, p.bias, four.running_mean, p.running_var, false),
                       doctest::Contains("'running_mean' must have one value per channel"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, p.weight, Tensor::zeros({3}, DType::I32), p.running_mean,
                                    p.running_var, true),
                       doctest::Contains("argument 'bias' must be f32"), Error);
  CHECK_THROWS_WITH_AS(
      batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true, 0.1f, 0.f),
      doctest::Contains("eps must be positive"), Error);
  CHECK_THROWS_WITH_AS(batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true, 1.5f),
                       doctest::Contains("momentum must be in [0, 1]"), Error);
}

TEST_CASE("batch_norm2d CUDA repeats to the bit [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const Device gpu = Device::cuda(0);
  Tensor x = test::random_tensor({8, 6, 17, 19}, 101, -1.f, 1.f, gpu);
  Tensor dy = test::random_tensor(x.shape(), 102, -1.f, 1.f, gpu);
  std::vector<Tensor> ys, dws, rvs;
  for (int run = 0; run < 2; ++run) {
    BnParams p = make_params(6, 103, gpu);
    p.weight.set_requires_grad(true);
    Tensor y = batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true);
    y.backward(dy);
    ys.push_back(y);
    dws.push_back(p.weight.grad());
    rvs.push_back(p.running_var);
  }
  CHECK(test::bit_equal(ys[0], ys[1]));
  CHECK(test::bit_equal(dws[0], dws[1]));
  CHECK(test::bit_equal(rvs[0], rvs[1]));
}

TEST_CASE("batch_norm2d rejects mixed devices [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  BnParams p = make_params(3, 111);
  Tensor x = test::random_tensor({2, 3, 4, 4}, 112, -1.f, 1.f, Device::cuda(0));
  CHECK_THROWS_WITH_AS(batch_norm2d(x, p.weight, p.bias, p.running_mean, p.running_var, true),
                       doctest::Contains("batch_norm2d: tensors are on different devices"), Error);
}
