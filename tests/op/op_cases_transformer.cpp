// The op-case rows of the transformer ops (framework/ops/{attention, batched_matmul, gelu,
// layer_norm, patch_embed, softmax, tokens, window}.h) and the strided batched GEMM kernel pair.
// Shapes: small ones for the CPU gradient check; rows wider than a warp, more rows than a
// block holds, ViT's 50 tokens and Swin's 49, odd everything.
#include <cmath>

#include "base/runtime.h"
#include "framework/ops.h"
#include "kernels/gemm.h"
#include "tests/op/op_cases.h"

namespace learner::test {

namespace {

Tensor rand(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  return random_tensor(shape, seed, lo, hi);
}

const std::optional<GradCheck> kGradCheck = GradCheck();

// Sums over rows (dgamma, dbias, dv, dk) run in another order on CUDA: judged by the
// gradient's largest value.
const Tolerance kReduced = close_to_max(1e-5, 1e-4);

void layer_norm_rows(std::vector<OpCase>& rows) {
  struct Rows {
    Shape x;
    bool check;
  };
  for (const Rows& r : {Rows{{5, 3, 11}, true}, Rows{{67, 197}, false}, Rows{{3, 1}, false}, Rows{{2, 50, 192}, false}}) {
    const int64_t D = r.x.back();
    rows.push_back({"layer_norm", str("x (", r.x.size() == 2 ? "" : "..., ", D, ") rows ", r.x[0]),
                    [r, D] { return Inputs{rand(r.x, 3100 + D, -2.f, 3.f), rand({D}, 3101, 0.5f, 1.5f), rand({D}, 3102)}; },
                    {0, 1, 2}, [](const Inputs& x) { return Outputs{layer_norm(x[0], x[1], x[2], 1e-6f)}; },
                    {close(1e-5, 1e-4)}, {close(1e-5, 1e-4), kReduced}, Repeat::Bits,
                    r.check ? kGradCheck : std::nullopt});
  }
}

void activation_rows(std::vector<OpCase>& rows) {
  for (const Shape& s : std::vector<Shape>{{3, 17}, {1001, 3}}) {
    const bool small = s[0] * s[1] < 100;
    rows.push_back({"gelu", small ? "(3, 17)" : "(1001, 3)", [s] { return Inputs{rand(s, 3200, -4.f, 4.f)}; }, {0},
                    [](const Inputs& x) { return Outputs{gelu(x[0])}; }, {close(1e-6, 1e-5)}, {close(1e-6, 1e-5)},
                    Repeat::Bits, small ? kGradCheck : std::nullopt});
  }
  struct Softmax {
    const char* name;
    Shape x, bias;
    bool check;
  };
  for (const Softmax& c : {Softmax{"(2, 3, 5) + bias (3, 5)", {2, 3, 5}, {3, 5}, true},
                           Softmax{"(5, 3, 50, 50) + bias (3, 50, 50): ViT rows", {5, 3, 50, 50}, {3, 50, 50}, false},
                           Softmax{"(7, 200), no bias: several values per lane", {7, 200}, {}, false},
                           Softmax{"(4, 1), no bias: one value", {4, 1}, {}, false}}) {
    rows.push_back({"softmax", c.name,
                    [c] { return Inputs{rand(c.x, 3300, -3.f, 3.f), c.bias.empty() ? Tensor() : rand(c.bias, 3301, -2.f, 2.f)}; },
                    c.bias.empty() ? std::vector<int>{0} : std::vector<int>{0, 1},
                    [](const Inputs& x) { return Outputs{softmax(x[0], x[1])}; }, {close(1e-6, 1e-5)},
                    {close(1e-6, 1e-5), kReduced}, Repeat::Bits, c.check ? kGradCheck : std::nullopt});
  }
}

void product_rows(std::vector<OpCase>& rows) {
  struct Bmm {
    int64_t G, M, K, N;
  };
  for (const Bmm& c : {Bmm{2, 3, 4, 5}, Bmm{7, 13, 33, 9}, Bmm{1, 1, 1, 1}}) {
    rows.push_back({"batched_matmul", str("G ", c.G, ", ", c.M, " x ", c.K, " x ", c.N),
                    [c] { return Inputs{rand({c.G, c.M, c.K}, 3400 + c.M), rand({c.G, c.K, c.N}, 3401 + c.N)}; }, {0, 1},
                    [](const Inputs& x) { return Outputs{batched_matmul(x[0], x[1])}; }, {close(1e-5, 1e-5)},
                    {close(1e-5, 1e-5)}, Repeat::Bits, c.G == 2 ? kGradCheck : std::nullopt});
  }
  // The kernel pair with a shared B (stride 0) and beta 1, which batched_matmul never uses.
  const int64_t G = 5, m = 7, n = 11, k = 6;
  rows.push_back({"gemm_strided_batched (kernel)", "G 5, 7 x 6 x 11, B shared (stride 0), A transposed, alpha 0.5, beta 1",
                  [] { return Inputs{rand({G * k * m}, 3410), rand({k * n}, 3411), rand({G * m * n}, 3412)}; }, {},
                  [](const Inputs& x) {
                    Tensor c = x[2].clone();
                    const BatchStrides strides{k * m, 0, m * n};
                    if (c.device().is_cuda()) {
                      LEARNER_CUDA_CALL("gemm_strided_batched",
                                        gemm_strided_batched_cuda(c.data<float>(), x[0].data<float>(), x[1].data<float>(),
                                                                  G, m, n, k, Transpose::Yes, Transpose::No, 0.5f, 1.f,
                                                                  strides, stream_for(c.device())));
                    } else {
                      gemm_strided_batched_cpu(c.data<float>(), x[0].data<float>(), x[1].data<float>(), G, m, n, k,
                                               Transpose::Yes, Transpose::No, 0.5f, 1.f, strides);
                    }
                    return Outputs{c};
                  },
                  {close(1e-5, 1e-5)}, {}, Repeat::No, std::nullopt});

  struct Attention {
    const char* name;
    int64_t G, Nq, Nk, hd, P;  // P = 0: no bias
    bool check;
  };
  for (const Attention& c : {Attention{"G 6, 5 x 7 tokens, hd 4, bias P 3", 6, 5, 7, 4, 3, true},
                             Attention{"G 12, Swin window 49 tokens, hd 32, bias P 3", 12, 49, 49, 32, 3, false},
                             Attention{"G 6, ViT 50 tokens, hd 64, no bias", 6, 50, 50, 64, 0, false},
                             Attention{"G 2, one query, 33 keys, hd 3, no bias", 2, 1, 33, 3, 0, false}}) {
    const float scale = 1.f / std::sqrt(static_cast<float>(c.hd));
    rows.push_back({"attention", c.name,
                    [c] {
                      return Inputs{rand({c.G, c.Nq, c.hd}, 3500), rand({c.G, c.Nk, c.hd}, 3501),
                                    rand({c.G, c.Nk, c.hd}, 3502),
                                    c.P > 0 ? rand({c.P, c.Nq, c.Nk}, 3503) : Tensor()};
                    },
                    c.P > 0 ? std::vector<int>{0, 1, 2, 3} : std::vector<int>{0, 1, 2},
                    [scale](const Inputs& x) { return Outputs{attention(x[0], x[1], x[2], scale, x[3])}; },
                    {close(1e-5, 1e-4)}, {kReduced}, Repeat::Bits, c.check ? kGradCheck : std::nullopt});
  }

  struct SelfAttention {
    const char* name;
    int64_t B, N, H, hd, P;  // P = 0: no bias
    bool check;
  };
  for (const SelfAttention& c : {SelfAttention{"B 3, 5 tokens, 2 heads of 4, bias P 2", 3, 5, 2, 4, 2, true},
                                 SelfAttention{"B 2, ViT 50 tokens, 3 heads of 64, no bias", 2, 50, 3, 64, 0, false},
                                 SelfAttention{"B 4, Swin window 49 tokens, 3 heads of 32, bias P 6", 4, 49, 3, 32, 6, false}}) {
    rows.push_back({"self_attention", c.name,
                    [c] {
                      return Inputs{rand({c.B, c.N, 3 * c.H * c.hd}, 3520),
                                    c.P > 0 ? rand({c.P, c.N, c.N}, 3521) : Tensor()};
                    },
                    c.P > 0 ? std::vector<int>{0, 1} : std::vector<int>{0},
                    [c](const Inputs& x) { return Outputs{self_attention(x[0], c.H, x[1])}; },
                    {close(1e-5, 1e-4)}, {kReduced}, Repeat::Bits, c.check ? kGradCheck : std::nullopt});
  }
}

void token_rows(std::vector<OpCase>& rows) {
  for (const Shape& s : std::vector<Shape>{{3, 4, 5}, {4, 49, 37}}) {
    const bool small = s[1] == 4;
    rows.push_back({"prepend_token", small ? "(3, 4, 5)" : "(4, 49, 37)",
                    [s] { return Inputs{rand(s, 3600), rand({1, 1, s[2]}, 3601)}; }, {0, 1},
                    [](const Inputs& x) { return Outputs{prepend_token(x[0], x[1])}; }, {bits()}, {bits(), kReduced},
                    Repeat::Bits, small ? kGradCheck : std::nullopt});
    rows.push_back({"add_broadcast", small ? "(3, 4, 5) + (1, 4, 5)" : "(4, 49, 37) + (1, 49, 37)",
                    [s] { return Inputs{rand(s, 3610), rand({1, s[1], s[2]}, 3611)}; }, {0, 1},
                    [](const Inputs& x) { return Outputs{add_broadcast(x[0], x[1])}; }, {bits()}, {bits(), kReduced},
                    Repeat::Bits, small ? kGradCheck : std::nullopt});
  }
  struct Patch {
    const char* name;
    Shape x, w;
    bool bias, check;
  };
  for (const Patch& c : {Patch{"(2, 3, 11, 9), patch 4: remainder dropped", {2, 3, 11, 9}, {5, 3, 4, 4}, true, true},
                         Patch{"(3, 2, 35, 50), patch 16", {3, 2, 35, 50}, {19, 2, 16, 16}, true, false},
                         Patch{"(2, 1, 32, 32), patch 16, no bias", {2, 1, 32, 32}, {7, 1, 16, 16}, false, false}}) {
    rows.push_back({"patch_embed", c.name,
                    [c] { return Inputs{rand(c.x, 3700), rand(c.w, 3701), c.bias ? rand({c.w[0]}, 3702) : Tensor()}; },
                    c.bias ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1},
                    [](const Inputs& x) { return Outputs{patch_embed(x[0], x[1], x[2])}; }, {close(1e-5, 1e-4)},
                    {close(1e-5, 1e-4), kReduced}, Repeat::Bits, c.check ? kGradCheck : std::nullopt});
  }
}

// Swin's map moves (framework/ops/window.h): copies only, so CUDA must give the CPU's bits.
void window_rows(std::vector<OpCase>& rows) {
  rows.push_back({"roll", "(2, 28, 28, 5) by -3 along H then W: Swin stage 1",
                  [] { return Inputs{rand({2, 28, 28, 5}, 3800)}; }, {0},
                  [](const Inputs& x) { return Outputs{roll(roll(x[0], 1, -3), 2, -3)}; }, {bits()}, {bits()},
                  Repeat::Bits, std::nullopt});
  rows.push_back({"roll", "(2, 5, 4, 3) by 2 along H, 7 along W", [] { return Inputs{rand({2, 5, 4, 3}, 3801)}; }, {0},
                  [](const Inputs& x) { return Outputs{roll(roll(x[0], 1, 2), 2, 7)}; }, {bits()}, {bits()},
                  Repeat::Bits, kGradCheck});
  rows.push_back({"pad_end", "(2, 20, 36, 3) to 21 x 42", [] { return Inputs{rand({2, 20, 36, 3}, 3810)}; }, {0},
                  [](const Inputs& x) { return Outputs{pad_end(pad_end(x[0], 1, 1), 2, 6)}; }, {bits()}, {bits()},
                  Repeat::Bits, std::nullopt});
  rows.push_back({"window_partition", "(2, 21, 42, 5), 7 x 7 windows", [] { return Inputs{rand({2, 21, 42, 5}, 3820)}; },
                  {0}, [](const Inputs& x) { return Outputs{window_partition(x[0], 7, 7)}; }, {bits()}, {bits()},
                  Repeat::Bits, std::nullopt});
  rows.push_back({"window_merge", "(2 * 18, 5 x 7, 3) into 2 maps of 15 x 42",
                  [] { return Inputs{rand({36, 35, 3}, 3830)}; }, {0},
                  [](const Inputs& x) { return Outputs{window_merge(x[0], 2, 15, 42, 5, 7)}; }, {bits()}, {bits()},
                  Repeat::Bits, kGradCheck});
}

}  // namespace

void transformer_op_rows(std::vector<OpCase>& rows) {
  window_rows(rows);
  product_rows(rows);
  activation_rows(rows);
  layer_norm_rows(rows);
  token_rows(rows);
}

}  // namespace learner::test
