// The rows of the op-case table (see op_cases.h for how to add one). Tolerances are those
// the CUDA kernels were written to: bits where both devices do the same float operations
// in the same order; the reasons for the others are next to them.
#include "tests/op/op_cases.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "base/runtime.h"
#include "framework/ops.h"
#include "framework/ops/weighted_loss.h"
#include "framework/optim/optimizer.h"
#include "framework/random.h"
#include "kernels/gemm.h"
#include "kernels/mse_loss.h"
#include "kernels/temporal_shift.h"
#include "parallel/engines.h"
#include "parallel/sync_batchnorm.h"

namespace learner::test {

namespace {

// ---- Tensor builders: fresh CPU tensors from fixed seeds. -------------------------------

Tensor rand(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  return random_tensor(shape, seed, lo, hi);
}

// Values rounded to multiples of 1/8: many exact ties (max pool's tie rule, mining's ranks).
Tensor coarse(const Shape& shape, uint64_t seed, float levels = 8.f) {
  std::vector<float> v = random_tensor(shape, seed).to_vector();
  for (float& e : v) e = std::round(e * levels) / levels;
  return Tensor::from_vector(v, shape);
}

// Scores in [0, 1); `levels` > 0 floors them to that many levels (ties).
Tensor scores(int64_t n, uint64_t seed, float levels = 0.f) {
  std::vector<float> v = random_tensor({n}, seed, 0.f, 1.f).to_vector();
  if (levels > 0)
    for (float& e : v) e = std::floor(e * levels) / levels;
  return Tensor::from_vector(v, {n});
}

// Class targets (r * 7) % k for N rows.
std::vector<int64_t> class_targets(int64_t N, int64_t k) {
  std::vector<int64_t> t(N);
  for (int64_t r = 0; r < N; ++r) t[r] = (r * 7) % k;
  return t;
}

std::string shape_text(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

Pool2dParams pool(int kh, int kw, int sh, int sw, int ph, int pw) {
  Pool2dParams p;
  p.kernel_h = kh, p.kernel_w = kw, p.stride_h = sh, p.stride_w = sw, p.pad_h = ph, p.pad_w = pw;
  return p;
}

Conv2dParams conv(int sh, int sw, int ph, int pw, int dh, int dw) {
  Conv2dParams p;
  p.stride_h = sh, p.stride_w = sw, p.pad_h = ph, p.pad_w = pw, p.dilation_h = dh, p.dilation_w = dw;
  return p;
}

// The world-of-one communicator of a device; it outlives every graph that uses it.
dist::Communicator& world_of_one(Device device) {
  static std::map<std::string, std::unique_ptr<dist::Communicator>> comms;
  std::unique_ptr<dist::Communicator>& c = comms[device.str()];
  if (!c) c = dist::make_single_communicator(device);
  return *c;
}

// A finite-difference check with the defaults of test_util.h.
const std::optional<GradCheck> kGradCheck = GradCheck();

// ---- The rows, one family per function, in the order of framework/ops/*.h. ----------------

void batchnorm_rows(std::vector<OpCase>& rows) {
  // Wide planes (HW > the block), tiny planes (HW < the block, many images), and the 1x1 case.
  for (const Shape& shape : std::vector<Shape>{{2, 3, 33, 35}, {600, 5, 1, 1}, {37, 4, 7, 7}, {3, 2, 5, 3}})
    for (bool training : {true, false}) {
      const int64_t C = shape[1];
      const bool small = shape[0] * shape[2] * shape[3] <= 64;
      rows.push_back({"batch_norm2d", shape_text(shape) + (training ? " training" : " eval"),
                      [shape, C] {
                        return Inputs{rand(shape, 91, 1.f, 3.f), rand({C}, 93, 0.5f, 1.5f),
                                      rand({C}, 94, -0.5f, 0.5f), rand({C}, 95, -0.3f, 0.3f),
                                      rand({C}, 96, 0.5f, 2.f)};
                      },
                      {0, 1, 2},
                      [training](const Inputs& x) {
                        Tensor running_mean = x[3], running_var = x[4];
                        return Outputs{batch_norm2d(x[0], x[1], x[2], running_mean, running_var, training),
                                       running_mean, running_var};
                      },
                      {close(1e-5, 1e-5), close(1e-6, 1e-6)},  // y; the running statistics
                      {close(1e-5, 1e-4), close(1e-5, 1e-5)},  // dx; dweight and dbias
                      Repeat::No, small ? kGradCheck : std::nullopt});
    }
  // SyncBatchNorm (parallel/) on a world of one: its own statistics kernels, CPU and CUDA.
  rows.push_back({"sync_batch_norm2d", "(3, 5, 7, 9) training, one rank",
                  [] {
                    return Inputs{rand({3, 5, 7, 9}, 11, -1.f, 3.f), rand({5}, 13, 0.5f, 1.5f),
                                  rand({5}, 14, -1.f, 1.f), Tensor::zeros({5}), Tensor::ones({5})};
                  },
                  {0, 1, 2},
                  [](const Inputs& x) {
                    Tensor running_mean = x[3], running_var = x[4];
                    return Outputs{dist::sync_batch_norm2d(x[0], x[1], x[2], running_mean, running_var, true,
                                                           0.1f, 1e-5f, world_of_one(x[0].device())),
                                   running_mean, running_var};
                  },
                  {close(1e-5, 1e-4)}, {close(1e-5, 1e-4)}, Repeat::No, std::nullopt});
}

void contrastive_rows(std::vector<OpCase>& rows) {
  struct Pairwise {
    int64_t G, B, E;
  };
  for (const Pairwise& k : {Pairwise{3, 2, 5}, Pairwise{2, 3, 1}, Pairwise{3, 67, 33}, Pairwise{1, 257, 130},
                            Pairwise{1, 1024, 512}, Pairwise{1, 300, 2048}}) {
    const std::string shapes = str("G ", k.G, ", B ", k.B, ", E ", k.E);
    rows.push_back({"pairwise_abs_diff", shapes, [k] { return Inputs{rand({k.G * k.B}, 60 + k.B, 0.f, 1.f)}; },
                    {}, [k](const Inputs& x) { return Outputs{pairwise_abs_diff(x[0], k.G)}; }, {bits()}, {},
                    Repeat::No, std::nullopt});
    for (Similarity sim : {Similarity::Cos, Similarity::L2})
      rows.push_back({"pairwise_similarity", shapes + (sim == Similarity::Cos ? " cos" : " l2"),
                      [k] { return Inputs{rand({k.G, k.B, k.E}, 70 + k.B)}; }, {0},
                      [sim](const Inputs& x) { return Outputs{pairwise_similarity(x[0], sim)}; },
                      {close(1e-5, 1e-5)},
                      // The backward sums over B rows in another order on CUDA.
                      {close_to_max(1e-4, 1e-3)}, Repeat::Bits, k.B * k.E <= 200 ? kGradCheck : std::nullopt});
  }

  struct Mining {
    int64_t G, B;
  };
  // 4500 needs 8192 keys (64 KiB): the opt-in shared-memory path.
  for (const Mining& c : {Mining{3, 2}, Mining{3, 3}, Mining{2, 8}, Mining{2, 257}, Mining{1, 1024},
                          Mining{1, 4096}, Mining{1, 4500}})
    for (bool ties : {false, true})
      rows.push_back({"mine_pos_neg", str("G ", c.G, ", B ", c.B, ties ? ", few levels" : ", distinct"),
                      [c, ties] { return Inputs{scores(c.G * c.B, 900 + c.B, ties ? 4.f : 0.f)}; }, {},
                      [c](const Inputs& x) { return Outputs{mine_pos_neg(pairwise_abs_diff(x[0], c.G))}; },
                      {bits()}, {}, Repeat::No, std::nullopt});

  struct Loss {
    int64_t B, E;
  };
  for (const Loss& c : {Loss{2, 7}, Loss{3, 5}, Loss{8, 512}, Loss{257, 33}, Loss{1024, 512}, Loss{300, 2048},
                        Loss{4096, 64}})
    for (ContrastiveKind kind : {ContrastiveKind::CL, ContrastiveKind::WCL})
      for (Similarity sim : {Similarity::Cos, Similarity::L2})
        rows.push_back({"contrastive_loss",
                        str("B ", c.B, ", E ", c.E, kind == ContrastiveKind::CL ? " cl" : " wcl",
                            sim == Similarity::Cos ? " cos" : " l2", c.B % 2 ? ", tied scores" : ""),
                        [c] { return Inputs{rand({c.B, c.E}, 1000 + c.B), scores(c.B, 1001 + c.B, c.B % 2 ? 5.f : 0.f)}; },
                        {0},
                        [kind, sim](const Inputs& x) { return Outputs{contrastive_loss(x[0], x[1], kind, sim)}; },
                        {close(1e-4, 1e-4)}, {close_to_max(1e-4, 1e-3)}, Repeat::Bits,
                        c.B * c.E <= 16 ? kGradCheck : std::nullopt});
}

void conv_rows(std::vector<OpCase>& rows) {
  struct Config {
    const char* name;
    int64_t N, C, H, W, K, R, S;
    Conv2dParams p;
    bool bias;
  };
  const Config configs[] = {
      {"3x3 pad 1, odd sizes", 2, 3, 7, 9, 4, 3, 3, conv(1, 1, 1, 1, 1, 1), true},
      {"7x7 stride 2 pad 3 (conv1)", 3, 2, 11, 8, 5, 7, 7, conv(2, 2, 3, 3, 1, 1), true},
      {"3x3 dilation 2 pad 2, no bias", 2, 3, 9, 10, 2, 3, 3, conv(1, 1, 2, 2, 2, 2), false},
      {"1x1 stride 2 (downsample), no bias", 1, 5, 6, 7, 3, 1, 1, conv(2, 2, 0, 0, 1, 1), false},
      {"3x3 stride 2 pad 1, even input", 5, 4, 6, 6, 6, 3, 3, conv(2, 2, 1, 1, 1, 1), true},
      {"2x3 kernel, mixed stride/pad/dilation", 2, 2, 8, 9, 3, 2, 3, conv(2, 1, 1, 0, 1, 2), true},
  };
  uint64_t seed = 2000;
  for (const Config& cf : configs) {
    seed += 10;
    const bool small = cf.C * cf.H * cf.W <= 300;
    rows.push_back({"conv2d", cf.name,
                    [cf, seed] {
                      return Inputs{rand({cf.N, cf.C, cf.H, cf.W}, seed), rand({cf.K, cf.C, cf.R, cf.S}, seed + 1),
                                    cf.bias ? rand({cf.K}, seed + 2) : Tensor()};
                    },
                    cf.bias ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1},
                    [cf](const Inputs& x) { return Outputs{conv2d(x[0], x[1], x[2], cf.p)}; },
                    // cuDNN may pick FFT or Winograd algorithms, whose f32 rounding differs from a
                    // direct sum; in deterministic mode (the default) it repeats itself.
                    {close(5e-4, 1e-4)}, {close(5e-4, 1e-4)}, Repeat::Bits, small ? kGradCheck : std::nullopt});
  }
  rows.push_back({"conv2d", "layer2 conv 3x3/2 64->128 at 28x28",
                  [] { return Inputs{rand({4, 64, 28, 28}, 3000), rand({128, 64, 3, 3}, 3001), Tensor()}; }, {0, 1},
                  [](const Inputs& x) { return Outputs{conv2d(x[0], x[1], x[2], conv(2, 2, 1, 1, 1, 1))}; },
                  // dw sums N*P*Q = 784 terms, dx and y about 576: f32 rounding of O(sqrt(n)) magnitudes.
                  {close(1e-3, 1e-3)}, {close(1e-3, 1e-3)}, Repeat::No, std::nullopt});
}

void dropout_rows(std::vector<OpCase>& rows) {
  // The counter-based mask: the same generator state drops the same elements on every device.
  rows.push_back({"dropout", "(3, 1001), p 0.25, a non-zero first counter", [] { return Inputs{rand({3, 1001}, 8)}; },
                  {0},
                  [](const Inputs& x) {
                    Generator gen(5);
                    gen.reserve(17);
                    Tensor y = dropout(x[0], 0.25f, true, gen);
                    return Outputs{y, Tensor::from_vector<int64_t>({static_cast<int64_t>(gen.counter())}, {1})};
                  },
                  {bits()}, {bits()}, Repeat::No, std::nullopt});
  rows.push_back({"dropout", "(5, 7), p 0.5, small enough to check by differences",
                  [] { return Inputs{rand({5, 7}, 9)}; }, {0},
                  [](const Inputs& x) {
                    Generator gen(6);
                    return Outputs{dropout(x[0], 0.5f, true, gen)};
                  },
                  {bits()}, {bits()}, Repeat::No, kGradCheck});
}

void elementwise_rows(std::vector<OpCase>& rows) {
  // One float operation per element on both devices: the same bits. 1013 is not a multiple
  // of any block size.
  struct Binary {
    const char* op;
    Tensor (*f)(const Tensor&, const Tensor&);
  };
  for (const Binary& b : {Binary{"add", add}, Binary{"sub", sub}, Binary{"mul", mul}})
    for (int64_t n : {1013, 6}) {
      auto f = b.f;
      rows.push_back({b.op, str("(", n, ")"), [n] { return Inputs{rand({n}, 21), rand({n}, 22)}; }, {0, 1},
                      [f](const Inputs& x) { return Outputs{f(x[0], x[1])}; }, {bits()}, {bits()}, Repeat::No,
                      n < 100 ? kGradCheck : std::nullopt});
    }
  rows.push_back({"mul_scalar", "(1013) * -2.5", [] { return Inputs{rand({1013}, 23)}; }, {0},
                  [](const Inputs& x) { return Outputs{mul_scalar(x[0], -2.5f)}; }, {bits()}, {bits()}, Repeat::No,
                  kGradCheck});
  rows.push_back({"relu", "(1013)", [] { return Inputs{rand({1013}, 21)}; }, {0},
                  [](const Inputs& x) { return Outputs{relu(x[0])}; }, {bits()}, {bits()}, Repeat::No,
                  std::nullopt});
  // Values at least 0.1 from the kink at 0, so the differences never cross it.
  rows.push_back({"relu", "(4, 9), away from 0", [] { return Inputs{coarse({4, 9}, 24, 5.f)}; }, {0},
                  [](const Inputs& x) { return Outputs{relu(add(x[0], Tensor::full(x[0].shape(), 0.1f, x[0].device())))}; },
                  {bits()}, {bits()}, Repeat::No, kGradCheck});
  rows.push_back({"relu", "relu(a * b), backward through both", [] { return Inputs{rand({1013}, 21), rand({1013}, 22)}; },
                  {0}, [](const Inputs& x) { return Outputs{relu(mul(x[0], x[1]))}; }, {bits()}, {bits()},
                  Repeat::No, std::nullopt});
  // The fused residual join: one float add and one compare per element, as add then relu.
  rows.push_back({"add_relu", "(1013)", [] { return Inputs{rand({1013}, 21), rand({1013}, 22)}; }, {0, 1},
                  [](const Inputs& x) { return Outputs{add_relu(x[0], x[1])}; }, {bits()}, {bits()},
                  Repeat::No, std::nullopt});
  rows.push_back({"add_relu", "(4, 9) + 0.1, away from 0", [] { return Inputs{coarse({4, 9}, 24, 5.f)}; }, {0},
                  [](const Inputs& x) {
                    return Outputs{add_relu(x[0], Tensor::full(x[0].shape(), 0.1f, x[0].device()))};
                  },
                  {bits()}, {bits()}, Repeat::No, kGradCheck});
  rows.push_back({"add_", "(1013) += (1013), not recorded", [] { return Inputs{rand({1013}, 25), rand({1013}, 26)}; },
                  {},
                  [](const Inputs& x) {
                    Tensor dst = x[0].clone();
                    add_(dst, x[1]);
                    return Outputs{dst};
                  },
                  {bits()}, {}, Repeat::No, std::nullopt});
}

void linear_rows(std::vector<OpCase>& rows) {
  for (bool bias : {true, false})
    rows.push_back({"linear", bias ? "(9, 33) x (17, 33)^T + (17)" : "(9, 33) x (17, 33)^T, no bias",
                    [bias] { return Inputs{rand({9, 33}, 33), rand({17, 33}, 34), bias ? rand({17}, 35) : Tensor()}; },
                    bias ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1},
                    [](const Inputs& x) { return Outputs{linear(x[0], x[1], x[2])}; }, {close(1e-5, 1e-5)},
                    {close(1e-5, 1e-5)}, Repeat::Bits, kGradCheck});
  rows.push_back({"matmul", "(6, 11) x (11, 4)", [] { return Inputs{rand({6, 11}, 37), rand({11, 4}, 38)}; }, {0, 1},
                  [](const Inputs& x) { return Outputs{matmul(x[0], x[1])}; }, {close(1e-5, 1e-5)},
                  {close(1e-5, 1e-5)}, Repeat::No, kGradCheck});
  // The kernel pair under linear and matmul, in every transpose, with alpha and beta.
  const int64_t m = 37, n = 29, k = 53;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Transpose op_a = ta ? Transpose::Yes : Transpose::No, op_b = tb ? Transpose::Yes : Transpose::No;
      rows.push_back({"gemm (kernel)", str("m 37, n 29, k 53, transpose a ", ta, " b ", tb, ", alpha 0.5, beta 1"),
                      [] { return Inputs{rand({m * k}, 30), rand({k * n}, 31), rand({m * n}, 32)}; }, {},
                      [op_a, op_b](const Inputs& x) {
                        Tensor c = x[2].clone();
                        if (c.device().is_cuda()) {
                          LEARNER_CUDA_CALL("gemm", gemm_cuda(c.data<float>(), x[0].data<float>(), x[1].data<float>(), m,
                                                              n, k, op_a, op_b, 0.5f, 1.f, stream_for(c.device())));
                        } else {
                          gemm_cpu(c.data<float>(), x[0].data<float>(), x[1].data<float>(), m, n, k, op_a, op_b, 0.5f,
                                   1.f);
                        }
                        return Outputs{c};
                      },
                      {close(1e-5, 1e-5)}, {}, Repeat::No, std::nullopt});
    }
}

void loss_rows(std::vector<OpCase>& rows) {
  // K = 3 (the pair classifier), K = 37 and K = 100 (several columns per lane), N = 13 (a
  // partly filled block of 8 rows).
  for (int64_t K : {3, 37, 100}) {
    rows.push_back({"log_softmax", str("(13, ", K, ")"), [K] { return Inputs{rand({13, K}, 20, -4.f, 4.f)}; }, {0},
                    [](const Inputs& x) { return Outputs{log_softmax(x[0])}; }, {close(1e-5, 1e-5)},
                    {close(1e-5, 1e-5)}, Repeat::No, K == 3 ? kGradCheck : std::nullopt});
    rows.push_back({"cross_entropy", str("(13, ", K, "), targets (r * 7) % K"),
                    [K] { return Inputs{rand({13, K}, 20, -4.f, 4.f), Tensor::from_vector(class_targets(13, K), {13})}; },
                    {0}, [](const Inputs& x) { return Outputs{cross_entropy(x[0], x[1])}; }, {close(1e-5, 1e-5)},
                    {close(1e-6, 1e-5)}, Repeat::No, K == 3 ? kGradCheck : std::nullopt});
  }
  // Class weights on the host: an upload and existing ops, so every device comes with them.
  rows.push_back({"cross_entropy", "(13, 3) with class weights (2, 0.5, 1.5)",
                  [] { return Inputs{rand({13, 3}, 34, -4.f, 4.f)}; }, {0},
                  [](const Inputs& x) { return Outputs{cross_entropy(x[0], class_targets(13, 3), {2.f, 0.5f, 1.5f})}; },
                  {close(1e-5, 1e-5)}, {close(1e-6, 1e-5)}, Repeat::No, kGradCheck});
  for (int64_t n : {70000, 5})
    rows.push_back({"mse_loss", str("(", n, ")"), [n] { return Inputs{rand({n}, 23), rand({n}, 24)}; }, {0, 1},
                    [](const Inputs& x) { return Outputs{mse_loss(x[0], x[1])}; }, {close(1e-6, 1e-5)},
                    {close(1e-9, 1e-6)}, Repeat::No, n < 100 ? kGradCheck : std::nullopt});
  // The kernel pair itself: the CPU writes the scalar, CUDA the same scalar through its workspace.
  for (int64_t n : {1, 257, 70001})
    rows.push_back({"mse_forward (kernel)", str("(", n, ")"), [n] { return Inputs{rand({n}, 25), rand({n}, 26)}; }, {},
                    [n](const Inputs& x) {
                      const Device d = x[0].device();
                      Tensor loss = Tensor::empty({}, DType::F32, d);
                      if (d.is_cuda()) {
                        LEARNER_CUDA_CALL("mse_forward_cuda", [&] {
                          Tensor workspace = Tensor::empty({mse_forward_cuda_workspace(n)}, DType::F32, d);
                          mse_forward_cuda(loss.data<float>(), workspace.data<float>(), x[0].data<float>(),
                                           x[1].data<float>(), n, stream_for(d));
                        }());
                      } else {
                        mse_forward_cpu(loss.data<float>(), x[0].data<float>(), x[1].data<float>(), n);
                      }
                      return Outputs{loss};
                    },
                    {close(1e-6, 1e-5)}, {}, Repeat::No, std::nullopt});
}

void pool_rows(std::vector<OpCase>& rows) {
  const Pool2dParams settings[] = {pool(3, 3, 2, 2, 1, 1), pool(2, 2, 2, 2, 0, 0), pool(3, 3, 1, 1, 1, 1),
                                   pool(3, 2, 1, 2, 1, 0)};
  for (const Pool2dParams& p : settings) {
    const std::string name = str("(3, 5, 13, 10) coarse values (ties), k", p.kernel_h, "x", p.kernel_w, " s",
                                 p.stride_h, "x", p.stride_w, " p", p.pad_h, "x", p.pad_w);
    // Both devices scan each window in the same order (ties go to the first maximum).
    rows.push_back({"max_pool2d", name, [] { return Inputs{coarse({3, 5, 13, 10}, 61)}; }, {0},
                    [p](const Inputs& x) { return Outputs{max_pool2d(x[0], p)}; }, {bits()}, {bits()}, Repeat::No,
                    std::nullopt});
    rows.push_back({"avg_pool2d", name, [] { return Inputs{coarse({3, 5, 13, 10}, 61)}; }, {0},
                    [p](const Inputs& x) { return Outputs{avg_pool2d(x[0], p)}; }, {bits()}, {bits()}, Repeat::No,
                    std::nullopt});
    rows.push_back({"avg_pool2d", "(1, 2, 5, 4), " + name.substr(name.find(" k") + 1),
                    [] { return Inputs{rand({1, 2, 5, 4}, 63)}; }, {0},
                    [p](const Inputs& x) { return Outputs{avg_pool2d(x[0], p)}; }, {bits()}, {bits()}, Repeat::No,
                    kGradCheck});
  }
  // Values k * 0.05 in a shuffled order: no two cells within 0.05, so a difference step of
  // 0.01 never changes which cell is the maximum.
  rows.push_back({"max_pool2d", "(1, 2, 5, 4) distinct values, k3x3 s2x2 p1x1",
                  [] {
                    std::vector<float> v(40);
                    for (int i = 0; i < 40; ++i) v[i] = static_cast<float>((i * 17) % 40) * 0.05f - 1.f;
                    return Inputs{Tensor::from_vector(v, {1, 2, 5, 4})};
                  },
                  {0}, [](const Inputs& x) { return Outputs{max_pool2d(x[0], pool(3, 3, 2, 2, 1, 1))}; }, {bits()},
                  {bits()}, Repeat::No, kGradCheck});
  for (const Shape& shape : std::vector<Shape>{{3, 5, 40, 41}, {64, 33, 7, 7}, {2, 3, 1, 1}})
    rows.push_back({"global_avg_pool2d", shape_text(shape), [shape] { return Inputs{rand(shape, 71)}; }, {0},
                    [](const Inputs& x) { return Outputs{global_avg_pool2d(x[0])}; },
                    // A float tree sum on CUDA against the CPU's sequential one.
                    {close(1e-7, 1e-6)}, {bits()}, Repeat::No, shape[2] == 1 ? kGradCheck : std::nullopt});
}

void reduce_rows(std::vector<OpCase>& rows) {
  struct Case {
    Shape shape;
    int dim;  // -1: all elements
  };
  // Thread per output; block per output (inner 1 and inner 2); split sum of one output; many
  // outputs with a long-ish axis; a sum over an empty axis.
  const std::vector<Case> cases = {{{3, 5, 7}, 1},   {{4, 1000}, 1},     {{3, 100, 2}, 1},
                                   {{100003}, -1},   {{2000, 70}, 1},    {{5, 70000}, 1},
                                   {{1, 40000, 1}, 1}, {{33, 65}, 0},    {{2, 0, 3}, 1}};
  for (const Case& c : cases)
    for (bool average : {false, true}) {
      int64_t numel = 1;
      for (int64_t d : c.shape) numel *= d;
      if (average && numel == 0) continue;  // the mean of nothing is an error
      const int dim = c.dim;
      rows.push_back({average ? "mean" : "sum", shape_text(c.shape) + (dim < 0 ? " all" : str(" dim ", dim)),
                      [c] { return Inputs{rand(c.shape, 5)}; }, {},
                      [dim, average](const Inputs& x) {
                        if (dim < 0) return Outputs{average ? mean(x[0]) : sum(x[0])};
                        return Outputs{average ? mean(x[0], dim) : sum(x[0], dim)};
                      },
                      // Float tree sums against double sums: error grows like log2(R) * eps * sum|x|.
                      {close(1e-4, 1e-5)}, {}, Repeat::Bits, std::nullopt});
    }
  rows.push_back({"mean", "(3, 50, 7) dim 1, backward", [] { return Inputs{rand({3, 50, 7}, 6)}; }, {0},
                  [](const Inputs& x) { return Outputs{mean(x[0], 1)}; }, {close(1e-4, 1e-5)}, {bits()}, Repeat::No,
                  std::nullopt});
  rows.push_back({"mean", "(2, 3, 4) dim 2 keepdim", [] { return Inputs{rand({2, 3, 4}, 7)}; }, {0},
                  [](const Inputs& x) { return Outputs{mean(x[0], 2, true)}; }, {close(1e-4, 1e-5)}, {bits()},
                  Repeat::No, kGradCheck});
  rows.push_back({"sum", "(2, 3, 4) all", [] { return Inputs{rand({2, 3, 4}, 8)}; }, {0},
                  [](const Inputs& x) { return Outputs{sum(x[0])}; }, {close(1e-4, 1e-5)}, {bits()}, Repeat::No,
                  kGradCheck});
}

void shape_rows(std::vector<OpCase>& rows) {
  // Copies and views: the same bits on every device, forward and backward.
  auto x = [] { return rand({3, 7, 5, 2}, 20); };
  auto add_row = [&rows](const char* op, std::string shapes, std::function<Inputs()> in, std::vector<int> diff,
                         std::function<Outputs(const Inputs&)> run, bool check) {
    rows.push_back({op, std::move(shapes), std::move(in), std::move(diff), std::move(run), {bits()}, {bits()},
                    Repeat::No, check ? kGradCheck : std::nullopt});
  };
  add_row("reshape", "(3, 7, 5, 2) -> (21, -1)", [x] { return Inputs{x()}; }, {0},
          [](const Inputs& t) { return Outputs{reshape(t[0], {21, -1})}; }, true);
  add_row("view", "(3, 7, 5, 2) -> (3, 70)", [x] { return Inputs{x()}; }, {0},
          [](const Inputs& t) { return Outputs{view(t[0], {3, 70})}; }, false);
  add_row("flatten", "(3, 7, 5, 2) from dim 2", [x] { return Inputs{x()}; }, {0},
          [](const Inputs& t) { return Outputs{flatten(t[0], 2)}; }, false);
  for (const std::vector<int>& dims : {std::vector<int>{3, 1, 0, 2}, std::vector<int>{0, 2, 1, 3}})
    add_row("permute", str("(3, 7, 5, 2) by ", dims[0], dims[1], dims[2], dims[3]), [x] { return Inputs{x()}; }, {0},
            [dims](const Inputs& t) { return Outputs{permute(t[0], dims)}; }, dims[0] == 0);
  add_row("permute", "(3, 2) i32",
          [] { return Inputs{Tensor::from_vector<int32_t>({1, 2, 3, 4, 5, 6}, {3, 2})}; }, {},
          [](const Inputs& t) { return Outputs{permute(t[0], {1, 0})}; }, false);
  add_row("concat", "(3, 7, 5, 2) and (3, 2, 5, 2) on dim 1", [x] { return Inputs{x(), rand({3, 2, 5, 2}, 21)}; },
          {0, 1}, [](const Inputs& t) { return Outputs{concat({t[0], t[1]}, 1)}; }, false);
  for (int dim : {0, 3})
    add_row("concat", str("(3, 7, 5, 2) twice on dim ", dim), [x] { return Inputs{x()}; }, {0},
            [dim](const Inputs& t) { return Outputs{concat({t[0], t[0]}, dim)}; }, false);
  add_row("concat", "(2, 3) and (1, 3) on dim 0", [] { return Inputs{rand({2, 3}, 27), rand({1, 3}, 28)}; }, {0, 1},
          [](const Inputs& t) { return Outputs{concat({t[0], t[1]}, 0)}; }, true);
  add_row("slice", "(3, 7, 5, 2) dim 0 [1, 3): a view", [x] { return Inputs{x()}; }, {0},
          [](const Inputs& t) { return Outputs{slice(t[0], 0, 1, 3)}; }, false);
  add_row("slice", "(3, 7, 5, 2) dim 2 [1, 4): a copy", [x] { return Inputs{x()}; }, {0},
          [](const Inputs& t) { return Outputs{slice(t[0], 2, 1, 4)}; }, true);
  // index_select's backward scatters in a sorted order that the CPU follows too, so even
  // repeated rows agree to the bit.
  add_row("index_select", "(3, 7, 5, 2) dim 1, i64 index with repeats",
          [x] { return Inputs{x(), Tensor::from_vector<int64_t>({6, 0, 6, 2, 6, 6, 1}, {7})}; }, {0},
          [](const Inputs& t) { return Outputs{index_select(t[0], 1, t[1])}; }, true);
  add_row("index_select", "(3, 7, 5, 2) dim 0, i32 index",
          [x] { return Inputs{x(), Tensor::from_vector<int32_t>({2, 0, 2}, {3})}; }, {0},
          [](const Inputs& t) { return Outputs{index_select(t[0], 0, t[1])}; }, false);
  add_row("index_select", "(300, 33) dim 0, 1001 i32 picks: many repeats, rows never picked",
          [] {
            std::vector<int32_t> picks(1001);
            for (size_t i = 0; i < picks.size(); ++i) picks[i] = static_cast<int32_t>((i * 37) % 211);
            return Inputs{rand({300, 33}, 23), Tensor::from_vector(picks, {1001})};
          },
          {0}, [](const Inputs& t) { return Outputs{index_select(t[0], 0, t[1])}; }, false);
  // Every shape op's backward in one graph.
  add_row("permute", "permute -> index_select -> concat(slice) -> reshape, one graph",
          [x] { return Inputs{x(), Tensor::from_vector<int64_t>({6, 0, 6, 2, 6, 6, 1}, {7})}; }, {0},
          [](const Inputs& t) {
            Tensor a = permute(t[0], {0, 2, 1, 3});      // (3, 5, 7, 2)
            Tensor b = index_select(a, 2, t[1]);         // (3, 5, 7, 2) with repeats
            Tensor c = concat({b, slice(a, 1, 1, 3)}, 1);  // (3, 7, 7, 2)
            return Outputs{reshape(slice(c, 0, 1, 3), {-1})};
          },
          false);
}

void temporal_shift_rows(std::vector<OpCase>& rows) {
  rows.push_back({"temporal_shift", "(16, 32, 5, 5), T 8", [] { return Inputs{rand({16, 32, 5, 5}, 78)}; }, {0},
                  [](const Inputs& x) { return Outputs{temporal_shift(x[0], 8)}; }, {bits()}, {bits()}, Repeat::No,
                  std::nullopt});
  rows.push_back({"temporal_shift", "(4, 8, 2, 2), T 2, fold_div 4", [] { return Inputs{rand({4, 8, 2, 2}, 79)}; }, {0},
                  [](const Inputs& x) { return Outputs{temporal_shift(x[0], 2, 4)}; }, {bits()}, {bits()},
                  Repeat::No, kGradCheck});
  // The kernels under the op, each variant: float4-eligible shapes (incl. 7x7 with C = 256)
  // and ones that need the scalar kernel (test_temporal_shift.cpp checks that Vector4
  // refuses those).
  struct Case {
    int64_t B, T, C, H, W;
  };
  for (const Case& k : {Case{2, 8, 64, 4, 4}, Case{1, 8, 256, 7, 7}, Case{3, 5, 17, 3, 5}, Case{2, 3, 16, 7, 7},
                        Case{1, 1, 8, 2, 2}})
    for (ShiftKernel kernel : {ShiftKernel::Auto, ShiftKernel::Scalar, ShiftKernel::Vector4}) {
      const int64_t HW = k.H * k.W, fold = k.C / 8;
      if (kernel == ShiftKernel::Vector4 && ((k.C * HW) % 4 != 0 || (fold * HW) % 4 != 0)) continue;
      const char* variant = kernel == ShiftKernel::Auto ? "auto" : kernel == ShiftKernel::Scalar ? "scalar" : "vector4";
      rows.push_back({"temporal_shift (kernels)", str("B ", k.B, ", T ", k.T, ", C ", k.C, ", ", k.H, "x", k.W, ", ", variant),
                      [k] { return Inputs{rand({k.B * k.T, k.C, k.H, k.W}, 31 + k.C)}; }, {},
                      [k, HW, fold, kernel](const Inputs& x) {
                        const Device d = x[0].device();
                        Tensor forward = Tensor::empty(x[0].shape(), DType::F32, d);
                        Tensor backward = Tensor::empty(x[0].shape(), DType::F32, d);
                        const float* in = x[0].data<float>();
                        static_cast<void>(kernel);  // only the CUDA branch reads it (CPU-only builds)
                        if (d.is_cuda()) {
                          LEARNER_CUDA_CALL("temporal_shift", [&] {
                            temporal_shift_forward_cuda(forward.data<float>(), in, k.B, k.T, k.C, HW, fold, kernel,
                                                        stream_for(d));
                            temporal_shift_backward_cuda(backward.data<float>(), in, k.B, k.T, k.C, HW, fold, kernel,
                                                         stream_for(d));
                          }());
                        } else {
                          temporal_shift_forward_cpu(forward.data<float>(), in, k.B, k.T, k.C, HW, fold);
                          temporal_shift_backward_cpu(backward.data<float>(), in, k.B, k.T, k.C, HW, fold);
                        }
                        return Outputs{forward, backward};
                      },
                      {bits()}, {}, Repeat::No, std::nullopt});
    }
}

void optimizer_rows(std::vector<OpCase>& rows) {
  // The fused update kernels, three steps. nvcc contracts a*b+c into FMA, the host build does
  // not: last-bit differences only.
  for (bool adam : {true, false})
    rows.push_back({adam ? "adam update (kernel)" : "sgd update (kernel)", "(4099), three steps",
                    [adam] {
                      const uint64_t first = adam ? 30 : 40;
                      return Inputs{rand({4099}, 6), rand({4099}, first), rand({4099}, first + 1), rand({4099}, first + 2)};
                    },
                    {},
                    [adam](const Inputs& x) {
                      Tensor param = x[0].clone().set_requires_grad(true);
                      std::unique_ptr<optim::Optimizer> optimizer;
                      if (adam) {
                        optimizer = std::make_unique<optim::Adam>(std::vector<Tensor*>{&param});
                      } else {
                        optim::SgdOptions o;
                        o.momentum = 0.9f;
                        optimizer = std::make_unique<optim::Sgd>(std::vector<Tensor*>{&param}, o);
                      }
                      for (size_t step = 1; step < x.size(); ++step) {
                        param.set_grad(x[step]);
                        optimizer->step();
                      }
                      return Outputs{param.detach()};
                    },
                    {close(1e-6, 1e-5)}, {}, Repeat::No, std::nullopt});
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> rows = [] {
    std::vector<OpCase> r;
    batchnorm_rows(r);
    contrastive_rows(r);
    conv_rows(r);
    dropout_rows(r);
    elementwise_rows(r);
    linear_rows(r);
    loss_rows(r);
    pool_rows(r);
    reduce_rows(r);
    shape_rows(r);
    temporal_shift_rows(r);
    optimizer_rows(r);
    transformer_op_rows(r);
    videomae_op_rows(r);
    return r;
  }();
  return rows;
}

}  // namespace learner::test
