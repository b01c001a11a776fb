// conv2d: values and all three gradients against a direct float64 loop, finite differences,
// determinism across thread counts, CUDA against the CPU, and bad-use errors.
#include <cblas.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/conv.h"
#include "base/runtime.h"
#include "kernels/conv2d.h"
#ifdef LEARNER_WITH_CUDA
#include "kernels/conv2d_cudnn.h"
#endif
#include "tests/util/test_util.h"

using namespace learner;

namespace {

struct Config {
  const char* name;
  int64_t N, C, H, W, K, R, S;
  Conv2dParams p;
  bool bias;
};

Conv2dParams params(int sh, int sw, int ph, int pw, int dh, int dw) {
  Conv2dParams p;
  p.stride_h = sh, p.stride_w = sw, p.pad_h = ph, p.pad_w = pw, p.dilation_h = dh, p.dilation_w = dw;
  return p;
}

const Config kConfigs[] = {
    {"3x3 pad 1, odd sizes", 2, 3, 7, 9, 4, 3, 3, params(1, 1, 1, 1, 1, 1), true},
    {"7x7 stride 2 pad 3 (conv1)", 3, 2, 11, 8, 5, 7, 7, params(2, 2, 3, 3, 1, 1), true},
    {"3x3 dilation 2 pad 2, no bias", 2, 3, 9, 10, 2, 3, 3, params(1, 1, 2, 2, 2, 2), false},
    {"1x1 stride 2 (downsample), no bias", 1, 5, 6, 7, 3, 1, 1, params(2, 2, 0, 0, 1, 1), false},
    {"3x3 stride 2 pad 1, even input", 5, 4, 6, 6, 6, 3, 3, params(2, 2, 1, 1, 1, 1), true},
    {"2x3 kernel, mixed stride/pad/dilation", 2, 2, 8, 9, 3, 2, 3, params(2, 1, 1, 0, 1, 2), true},
};

struct Reference {
  std::vector<float> y, dx, dw, db;
};

// The definition, summed in float64: every (n, k, p, q, c, r, s) term visited once.
Reference direct_conv2d(const Config& cf, const std::vector<float>& x, const std::vector<float>& w,
                        const std::vector<float>& b, const std::vector<float>& dy, int64_t P,
                        int64_t Q) {
  const auto& p = cf.p;
  std::vector<double> y(cf.N * cf.K * P * Q), dx(x.size(), 0.0), dw(w.size(), 0.0), db(cf.K, 0.0);
  for (int64_t n = 0; n < cf.N; ++n)
    for (int64_t k = 0; k < cf.K; ++k)
      for (int64_t op = 0; op < P; ++op)
        for (int64_t oq = 0; oq < Q; ++oq) {
          const int64_t yi = ((n * cf.K + k) * P + op) * Q + oq;
          double acc = cf.bias ? b[k] : 0.0;
          for (int64_t c = 0; c < cf.C; ++c)
            for (int64_t r = 0; r < cf.R; ++r)
              for (int64_t s = 0; s < cf.S; ++s) {
                const int64_t ih = op * p.stride_h - p.pad_h + r * p.dilation_h;
                const int64_t iw = oq * p.stride_w - p.pad_w + s * p.dilation_w;
                if (ih < 0 || ih >= cf.H || iw < 0 || iw >= cf.W) continue;
                const int64_t xi = ((n * cf.C + c) * cf.H + ih) * cf.W + iw;
                const int64_t wi = ((k * cf.C + c) * cf.R + r) * cf.S + s;
                acc += static_cast<double>(w[wi]) * x[xi];
                dx[xi] += static_cast<double>(w[wi]) * dy[yi];
                dw[wi] += static_cast<double>(dy[yi]) * x[xi];
              }
          y[yi] = acc;
          db[k] += dy[yi];
        }
  auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  return {to_float(y), to_float(dx), to_float(dw), to_float(db)};
}

struct Inputs {
  Tensor x, w, b, dy;
};

Inputs make_inputs(const Config& cf, uint64_t seed) {
  const int64_t P = conv2d_output_size(cf.H, cf.R, cf.p.stride_h, cf.p.pad_h, cf.p.dilation_h);
  const int64_t Q = conv2d_output_size(cf.W, cf.S, cf.p.stride_w, cf.p.pad_w, cf.p.dilation_w);
  Inputs in;
  in.x = test::random_tensor({cf.N, cf.C, cf.H, cf.W}, seed);
  in.w = test::random_tensor({cf.K, cf.C, cf.R, cf.S}, seed + 1);
  in.b = cf.bias ? test::random_tensor({cf.K}, seed + 2) : Tensor();
  in.dy = test::random_tensor({cf.N, cf.K, P, Q}, seed + 3);
  return in;
}

// Forward and backward through the op on `device`; returns y and the three gradients on the CPU.
Reference run_op(const Inputs& in, const Config& cf, Device device) {
  // Fresh leaves (clone: to() returns the same tensor when it is already on `device`).
  Tensor x = in.x.clone().to(device).set_requires_grad(true);
  Tensor w = in.w.clone().to(device).set_requires_grad(true);
  Tensor b = cf.bias ? in.b.clone().to(device).set_requires_grad(true) : Tensor();
  Tensor y = conv2d(x, w, b, cf.p);
  y.backward(in.dy.to(device));
  return {y.to_vector(), x.grad().to_vector(), w.grad().to_vector(),
          cf.bias ? b.grad().to_vector() : std::vector<float>()};
}

void expect_matches(const Reference& got, const Reference& ref, double atol, double rtol,
                    const std::string& name) {
  test::expect_close(got.y, ref.y, atol, rtol, (name + ": y").c_str());
  test::expect_close(got.dx, ref.dx, atol, rtol, (name + ": dx").c_str());
  test::expect_close(got.dw, ref.dw, atol, rtol, (name + ": dw").c_str());
  if (!got.db.empty()) test::expect_close(got.db, ref.db, atol, rtol, (name + ": db").c_str());
}

#ifdef LEARNER_WITH_CUDA  // the fast-mode and cuDNN cases below
// ||got - ref|| / ||ref|| over all four outputs' elements, one number per output.
double relative_error(const std::vector<float>& got, const std::vector<float>& ref) {
  REQUIRE(got.size() == ref.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff += (double(got[i]) - ref[i]) * (double(got[i]) - ref[i]);  // NaN stays NaN
    norm += double(ref[i]) * ref[i];
  }
  return std::sqrt(diff / norm);
}

void expect_relative(const Reference& got, const Reference& ref, double tolerance,
                     const std::string& name) {
  const std::pair<const char*, std::pair<const std::vector<float>*, const std::vector<float>*>>
      outputs[] = {{"y", {&got.y, &ref.y}}, {"dx", {&got.dx, &ref.dx}}, {"dw", {&got.dw, &ref.dw}},
                   {"db", {&got.db, &ref.db}}};
  for (const auto& entry : outputs) {
    const auto& what = entry.first;  // not a structured binding: clang 14 cannot capture one
    const auto& pair = entry.second;
    if (pair.second->empty()) continue;
    const double e = relative_error(*pair.first, *pair.second);
    CHECK_MESSAGE(e <= tolerance, name, ": ", what, " relative error ", e, " > ", tolerance);
  }
}
#endif

// Restores deterministic mode and the candidate hook when a case ends, also on failure.
struct FastModeScope {
  ~FastModeScope() {
    set_deterministic(true);
#ifdef LEARNER_WITH_CUDA
    conv2d_cudnn_reject_first_candidates(0);
#endif
  }
};

}  // namespace

TEST_CASE("conv2d values and gradients match the direct float64 definition") {
  uint64_t seed = 100;
  for (const Config& cf : kConfigs) {
    Inputs in = make_inputs(cf, seed += 10);
    const Reference got = run_op(in, cf, Device::cpu());
    const int64_t P = in.dy.size(2), Q = in.dy.size(3);
    const Reference ref =
        direct_conv2d(cf, in.x.to_vector(), in.w.to_vector(),
                      cf.bias ? in.b.to_vector() : std::vector<float>(), in.dy.to_vector(), P, Q);
    expect_matches(got, ref, 1e-5, 1e-5, cf.name);
  }
}

TEST_CASE("conv2d output size follows the formula") {
  Tensor x = test::random_tensor({2, 3, 11, 8}, 1), w = test::random_tensor({5, 3, 7, 7}, 2);
  // P = (11 + 6 - 6 - 1) / 2 + 1 = 6, Q = (8 + 6 - 6 - 1) / 2 + 1 = 4
  CHECK(conv2d(x, w, Tensor(), params(2, 2, 3, 3, 1, 1)).shape() == Shape{2, 5, 6, 4});
  // dilation 2 turns a 3x3 kernel into a 5x5 window: P = (11 - 4 - 1) / 1 + 1 = 7
  CHECK(conv2d(x, test::random_tensor({5, 3, 3, 3}, 3), Tensor(), params(1, 1, 0, 0, 2, 2))
            .shape() == Shape{2, 5, 7, 4});
}

TEST_CASE("conv2d processes large inputs in several image chunks") {
  // One image's column buffer is C*R*S x P*Q = 144 x 4096 floats; the CPU kernel's 2M-float
  // budget then takes 3 images per chunk: chunks of 3, 3 and 1 image, dw summed over 3 GEMMs.
  const Config cf{"chunked", 7, 16, 64, 64, 3, 3, 3, params(1, 1, 1, 1, 1, 1), true};
  Inputs in = make_inputs(cf, 900);
  const Reference got = run_op(in, cf, Device::cpu());
  const Reference ref = direct_conv2d(cf, in.x.to_vector(), in.w.to_vector(), in.b.to_vector(),
                                      in.dy.to_vector(), 64, 64);
  // dw and db sum N*P*Q = 28672 terms each: float32 rounding grows with the length of the sum.
  expect_matches(got, ref, 1e-3, 1e-4, cf.name);
}

TEST_CASE("conv2d gradients match finite differences") {
  for (const Config& cf : {kConfigs[1], kConfigs[2], kConfigs[5]}) {
    CAPTURE(cf.name);
    Inputs in = make_inputs(cf, 300);
    Tensor x = in.x.clone().set_requires_grad(true);
    Tensor w = in.w.clone().set_requires_grad(true);
    std::vector<Tensor> inputs{x, w};
    if (cf.bias) inputs.push_back(in.b.clone().set_requires_grad(true));
    const Conv2dParams p = cf.p;
    test::check_gradients(
        [p](const std::vector<Tensor>& v) {
          return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), p);
        },
        inputs);
  }
}

TEST_CASE("conv2d computes only the gradients that are needed") {
  const Config& cf = kConfigs[0];
  Inputs in = make_inputs(cf, 500);
  const Reference full = run_op(in, cf, Device::cpu());

  Tensor w = in.w.clone().set_requires_grad(true);
  conv2d(in.x, w, in.b, cf.p).backward(in.dy);  // x and b are constants here
  CHECK(test::bit_equal(w.grad(), Tensor::from_vector(full.dw, w.shape())));

  Tensor x = in.x.clone().set_requires_grad(true);
  conv2d(x, in.w, Tensor(), cf.p).backward(in.dy);
  CHECK(test::bit_equal(x.grad(), Tensor::from_vector(full.dx, x.shape())));

  Tensor b = in.b.clone().set_requires_grad(true);
  conv2d(in.x, in.w, b, cf.p).backward(in.dy);
  CHECK(test::bit_equal(b.grad(), Tensor::from_vector(full.db, b.shape())));
}

TEST_CASE("conv2d's CPU reference gives the same bits with 1 thread and with all threads") {
  // The im2col reference only: oneDNN reduces dw over per-thread partial sums, so it repeats
  // for a fixed thread count (tests/test_conv2d_onednn.cpp) but may round differently across counts.
  const Conv2dCpuBackend saved_backend = conv2d_cpu_backend();
  set_conv2d_cpu_backend(Conv2dCpuBackend::Reference);
  const Config& cf = kConfigs[4];
  Inputs in = make_inputs(cf, 700);
  const Reference many = run_op(in, cf, Device::cpu());
  const int omp_threads = omp_get_max_threads(), blas_threads = openblas_get_num_threads();
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  const Reference one = run_op(in, cf, Device::cpu());
  omp_set_num_threads(omp_threads);
  openblas_set_num_threads(blas_threads);
  CHECK(one.y == many.y);
  CHECK(one.dx == many.dx);
  CHECK(one.dw == many.dw);
  CHECK(one.db == many.db);
  set_conv2d_cpu_backend(saved_backend);
}

TEST_CASE("conv2d bad use names the op and the shapes") {
  Tensor x = test::random_tensor({2, 5, 7, 7}, 1);
  Tensor w = test::random_tensor({4, 3, 3, 3}, 2);
  CHECK_THROWS_WITH_AS(
      conv2d(x, w, Tensor(), Conv2dParams()),
      "conv2d: x has 5 channels but weight expects 3 (x f32[2, 5, 7, 7] on cpu, weight "
      "f32[4, 3, 3, 3] on cpu; weight is (out, in, kh, kw))",
      Error);
  CHECK_THROWS_WITH_AS(conv2d(x, test::random_tensor({3, 3}, 3), Tensor(), Conv2dParams()),
                       "conv2d: argument 'weight' must have rank 4, got f32[3, 3] on cpu", Error);
  CHECK_THROWS_WITH_AS(conv2d(test::random_tensor({5, 7, 7}, 4), w, Tensor(), Conv2dParams()),
                       doctest::Contains("conv2d: argument 'x' must have rank 4"), Error);
  Tensor w5 = test::random_tensor({4, 5, 3, 3}, 5);
  CHECK_THROWS_WITH_AS(conv2d(x, w5, test::random_tensor({3}, 6), Conv2dParams()),
                       doctest::Contains("conv2d: bias has 3 values but weight has 4 output channels"),
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w5, test::random_tensor({4, 1}, 7), Conv2dParams()),
                       doctest::Contains("conv2d: argument 'bias' must have rank 1"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, test::random_tensor({4, 5, 9, 9}, 8), Tensor(), Conv2dParams()),
                       doctest::Contains("conv2d: the output would be empty"), Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w5, Tensor(), params(0, 1, 0, 0, 1, 1)),
                       doctest::Contains("conv2d: stride and dilation must be >= 1"), Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({2, 5, 7, 7}, DType::I32), w5, Tensor(), Conv2dParams()),
                       doctest::Contains("conv2d: argument 'x' must be f32"), Error);
}

#ifdef LEARNER_WITH_CUDA
TEST_CASE("conv2d CUDA fast mode (cudnnFind, TF32 allowed) matches CPU within TF32 rounding [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const FastModeScope restore;
  const Device gpu = Device::cuda(0);
  const Config layer{"layer2 conv 3x3/2 64->128 at 28x28", 4, 64, 28, 28, 128, 3, 3,
                     params(2, 2, 1, 1, 1, 1), false};
  std::vector<Config> configs(std::begin(kConfigs), std::end(kConfigs));
  configs.push_back(layer);
  conv2d_cudnn_clear_choices();  // each config below makes three fresh fast-mode choices
  uint64_t seed = 4000;
  for (const Config& cf : configs) {
    Inputs in = make_inputs(cf, seed += 10);
    const Reference cpu = run_op(in, cf, Device::cpu());
    set_deterministic(true);
    const Reference det = run_op(in, cf, gpu);
    set_deterministic(false);  // the Find path: every algorithm timed, TF32 tensor cores allowed
    const int64_t cached_before = conv2d_cudnn_stats().cached_choices;
    const Reference fast = run_op(in, cf, gpu);
    // TF32 keeps 10 mantissa bits of each operand: ~5e-4 relative per product, averaging down
    // over the sums; 5e-3 on the norm still catches a wrong algorithm (errors of order 1).
    expect_relative(fast, cpu, 5e-3, std::string(cf.name) + " (fast mode vs cpu)");
    // The choice is cached per mode: three fresh choices (y, dx, dw) in fast mode.
    CHECK_MESSAGE(conv2d_cudnn_stats().cached_choices == cached_before + 3, cf.name);
    set_deterministic(true);
    const Reference det_again = run_op(in, cf, gpu);
    CHECK_MESSAGE(det_again.y == det.y, cf.name, ": deterministic mode after fast mode");
    CHECK_MESSAGE(det_again.dw == det.dw, cf.name, ": deterministic mode after fast mode");
  }
}

TEST_CASE("conv2d CUDA falls back to the next ranked algorithm and caches only one that ran [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const FastModeScope restore;
  const Device gpu = Device::cuda(0);
  const Config cf = kConfigs[0];
  Inputs in = make_inputs(cf, 5000);
  const Reference cpu = run_op(in, cf, Device::cpu());
  for (bool det : {true, false}) {
    set_deterministic(det);
    conv2d_cudnn_clear_choices();
    conv2d_cudnn_reject_first_candidates(1);  // as if cuDNN refused its first choice each time
    const int64_t failed_before = conv2d_cudnn_stats().failed_candidates;
    const Reference got = run_op(in, cf, gpu);
    expect_relative(got, cpu, det ? 1e-5 : 5e-3, det ? "second candidate, deterministic"
                                                     : "second candidate, fast mode");
    // y, dx and dw each skipped their first candidate; three choices cached.
    CHECK(conv2d_cudnn_stats().failed_candidates == failed_before + 3);
    CHECK(conv2d_cudnn_stats().cached_choices == 3);
    // With every candidate refused nothing runs, nothing is cached, and the error says so.
    conv2d_cudnn_clear_choices();
    conv2d_cudnn_reject_first_candidates(1000);
    CHECK_THROWS_WITH_AS(run_op(in, cf, gpu), doctest::Contains("algorithm ran for x (2, 3, 7, 9)"),
                         Error);
    CHECK(conv2d_cudnn_stats().cached_choices == 0);
    conv2d_cudnn_reject_first_candidates(0);
    expect_relative(run_op(in, cf, gpu), cpu, det ? 1e-5 : 5e-3, "after the refusals");
  }
}
#endif

TEST_CASE("conv2d rejects tensors on different devices [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  Tensor x = test::random_tensor({1, 3, 5, 5}, 1).to(Device::cuda(0));
  Tensor w = test::random_tensor({2, 3, 3, 3}, 2);
  CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), Conv2dParams()),
                       doctest::Contains("conv2d: tensors are on different devices"), Error);
}
