// conv2d's oneDNN path against the im2col reference (the spec): values and both gradients on
// odd shapes, strides, dilations and padding, within float tolerance (oneDNN sums in another
// order); bit-equal repeats for a fixed thread count; and the backend switch.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "framework/ops/conv.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_onednn.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

struct Case {
  const char* name;
  int64_t N, C, H, W, K, R, S;
  int sh, sw, ph, pw, dh, dw;
  bool bias;
};

// Small odd shapes (oneDNN's reference-like kernels) and channel counts that take its blocked
// JIT kernels (multiples of 16, and one past them).
const Case kCases[] = {
    {"3x3 pad 1, odd sizes", 2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, true},
    {"7x7 stride 2 pad 3, 1 channel (conv1)", 3, 1, 23, 17, 16, 7, 7, 2, 2, 3, 3, 1, 1, false},
    {"3x3 dilation 2 pad 2", 2, 3, 9, 10, 2, 3, 3, 1, 1, 2, 2, 2, 2, false},
    {"1x1 stride 2 (downsample)", 2, 32, 7, 7, 64, 1, 1, 2, 2, 0, 0, 1, 1, false},
    {"3x3 stride 2 pad 1, even input", 5, 16, 6, 6, 32, 3, 3, 2, 2, 1, 1, 1, 1, true},
    {"2x3 kernel, mixed stride/pad/dilation", 2, 17, 8, 9, 33, 2, 3, 2, 1, 1, 0, 1, 2, false},
    {"5x5 stride 3 dilation 3 pad 4", 1, 16, 19, 21, 16, 5, 5, 3, 3, 4, 4, 3, 3, false},
    {"3x3 pad 0, stride leaves rows unread", 3, 32, 10, 11, 48, 3, 3, 3, 2, 0, 0, 1, 1, false},
    {"ResNet layer2 3x3 64->64 at 14x14", 4, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, false},
};

Conv2dGeometry geometry_of(const Case& c) {
  Conv2dGeometry g;
  g.N = c.N, g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K, g.R = c.R, g.S = c.S;
  g.stride_h = c.sh, g.stride_w = c.sw, g.pad_h = c.ph, g.pad_w = c.pw;
  g.dilation_h = c.dh, g.dilation_w = c.dw;
  g.P = conv2d_output_size(g.H, g.R, c.sh, c.ph, c.dh);
  g.Q = conv2d_output_size(g.W, g.S, c.sw, c.pw, c.dw);
  return g;
}

struct Results {
  std::vector<float> y, dx, dw, db;
};

// Forward and backward of one backend on the same inputs.
Results run(bool onednn, const Conv2dGeometry& g, const std::vector<float>& x,
            const std::vector<float>& w, const std::vector<float>& b, const std::vector<float>& dy) {
  Results r;
  r.y.assign(g.N * g.K * g.P * g.Q, NAN);  // NaN: an element left unwritten fails the check
  r.dx.assign(x.size(), NAN);
  r.dw.assign(w.size(), NAN);
  r.db.assign(g.K, NAN);
  const float* bias = b.empty() ? nullptr : b.data();
  if (onednn) {
    conv2d_forward_onednn(r.y.data(), x.data(), w.data(), bias, g);
    conv2d_backward_onednn(r.dx.data(), r.dw.data(), dy.data(), x.data(), w.data(), g);
  } else {
    conv2d_forward_reference(r.y.data(), x.data(), w.data(), bias, g);
    conv2d_backward_reference(r.dx.data(), r.dw.data(), r.db.data(), dy.data(), x.data(), w.data(), g);
  }
  return r;
}

struct Inputs {
  std::vector<float> x, w, b, dy;
};

Inputs inputs_for(const Case& c, const Conv2dGeometry& g, uint64_t seed) {
  Inputs in;
  in.x = test::random_tensor({g.N, g.C, g.H, g.W}, seed).to_vector();
  in.w = test::random_tensor({g.K, g.C, g.R, g.S}, seed + 1).to_vector();
  if (c.bias) in.b = test::random_tensor({g.K}, seed + 2).to_vector();
  in.dy = test::random_tensor({g.N, g.K, g.P, g.Q}, seed + 3).to_vector();
  return in;
}

bool bits_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Restores the selected backend when a test ends.
struct BackendGuard {
  Conv2dCpuBackend saved = conv2d_cpu_backend();
  ~BackendGuard() { set_conv2d_cpu_backend(saved); }
};

}  // namespace

TEST_CASE("conv2d oneDNN matches the im2col reference on odd shapes, strides, dilations, padding") {
  if (!conv2d_onednn_built()) {
    MESSAGE("skipped: this build has no oneDNN");
    return;
  }
  uint64_t seed = 4000;
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    const Conv2dGeometry g = geometry_of(c);
    const Inputs in = inputs_for(c, g, seed += 10);
    const Results ref = run(false, g, in.x, in.w, in.b, in.dy);
    const Results got = run(true, g, in.x, in.w, in.b, in.dy);
    // Each output sums up to C*R*S (y, dx) or N*P*Q (dw) products of values in [-1, 1):
    // float32 rounding in a different order differs by ~1e-6 of the sum's magnitude.
    const std::string name = c.name;
    test::expect_close(got.y, ref.y, 1e-4, 1e-4, (name + ": y").c_str());
    test::expect_close(got.dx, ref.dx, 1e-4, 1e-4, (name + ": dx").c_str());
    test::expect_close(got.dw, ref.dw, 1e-4, 1e-4, (name + ": dw").c_str());
  }
}

TEST_CASE("conv2d oneDNN repeats to the bit for a fixed thread count") {
  if (!conv2d_onednn_built()) {
    MESSAGE("skipped: this build has no oneDNN");
    return;
  }
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(2);  // the benchmark's setting; a split over threads that must not vary
  for (const Case& c : {kCases[1], kCases[4], kCases[8]}) {
    CAPTURE(c.name);
    const Conv2dGeometry g = geometry_of(c);
    const Inputs in = inputs_for(c, g, 5000);
    const Results first = run(true, g, in.x, in.w, in.b, in.dy);
    const Results second = run(true, g, in.x, in.w, in.b, in.dy);
    CHECK(bits_equal(first.y, second.y));
    CHECK(bits_equal(first.dx, second.dx));
    CHECK(bits_equal(first.dw, second.dw));
  }
  omp_set_num_threads(saved_threads);
}

TEST_CASE("conv2d's CPU backend switch selects oneDNN or the reference") {
  BackendGuard guard;
  const Case& c = kCases[4];
  const Conv2dGeometry g = geometry_of(c);
  const Inputs in = inputs_for(c, g, 6000);
  Conv2dParams p;
  p.stride_h = c.sh, p.stride_w = c.sw, p.pad_h = c.ph, p.pad_w = c.pw;
  Tensor x = Tensor::from_vector(in.x, {g.N, g.C, g.H, g.W});
  Tensor w = Tensor::from_vector(in.w, {g.K, g.C, g.R, g.S});
  Tensor b = Tensor::from_vector(in.b, {g.K});

  set_conv2d_cpu_backend(Conv2dCpuBackend::Reference);
  CHECK(std::string(conv2d_cpu_backend_name()).find("reference") != std::string::npos);
  CHECK(conv2d(x, w, b, p).to_vector() == run(false, g, in.x, in.w, in.b, in.dy).y);
  if (conv2d_onednn_built()) {
    set_conv2d_cpu_backend(Conv2dCpuBackend::OneDnn);
    CHECK(std::string(conv2d_cpu_backend_name()) == "oneDNN");
    CHECK(bits_equal(conv2d(x, w, b, p).to_vector(), run(true, g, in.x, in.w, in.b, in.dy).y));
  } else {
    CHECK_THROWS_WITH_AS(set_conv2d_cpu_backend(Conv2dCpuBackend::OneDnn),
                         doctest::Contains("no oneDNN"), Error);
  }
}
