// The transformer ops (layer_norm, gelu, softmax with bias, batched_matmul, attention,
// self_attention, prepend_token, add_broadcast, patch_embed): each against a float64 transcription of its
// definition, its backward against finite differences, and errors. CUDA against the CPU:
// their rows in the op-case table (tests/op/op_cases_transformer.cpp).
#include <cmath>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/attention.h"
#include "framework/ops/batched_matmul.h"
#include "framework/ops/gelu.h"
#include "framework/ops/layer_norm.h"
#include "framework/ops/patch_embed.h"
#include "framework/ops/shape.h"
#include "framework/ops/softmax.h"
#include "framework/ops/tokens.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

std::vector<double> layer_norm_spec(const std::vector<float>& x, const std::vector<float>& g,
                                    const std::vector<float>& b, int64_t N, int64_t D, double eps) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double mu = 0, var = 0;
    for (int64_t j = 0; j < D; ++j) mu += x[n * D + j];
    mu /= D;
    for (int64_t j = 0; j < D; ++j) var += (x[n * D + j] - mu) * (x[n * D + j] - mu);
    var /= D;
    for (int64_t j = 0; j < D; ++j) y[n * D + j] = (x[n * D + j] - mu) / std::sqrt(var + eps) * g[j] + b[j];
  }
  return y;
}

// softmax(x + bias) per row of L; bias (P, L) repeats over the leading blocks (null: none).
std::vector<double> softmax_spec(const std::vector<double>& x, const std::vector<float>* bias, int64_t L) {
  std::vector<double> y(x.size());
  const int64_t rows = static_cast<int64_t>(x.size()) / L;
  const int64_t P = bias != nullptr ? static_cast<int64_t>(bias->size()) / L : rows;
  for (int64_t r = 0; r < rows; ++r) {
    double top = -INFINITY, total = 0;
    std::vector<double> z(L);
    for (int64_t l = 0; l < L; ++l) {
      z[l] = x[r * L + l] + (bias != nullptr ? (*bias)[(r % P) * L + l] : 0.0);
      top = std::max(top, z[l]);
    }
    for (int64_t l = 0; l < L; ++l) total += std::exp(z[l] - top);
    for (int64_t l = 0; l < L; ++l) y[r * L + l] = std::exp(z[l] - top) / total;
  }
  return y;
}

// out (G, M, N) = a (G, M, K) b (G, K, N), or b^T when b is (G, N, K).
std::vector<double> bmm_spec(const std::vector<double>& a, const std::vector<double>& b, int64_t G,
                             int64_t M, int64_t N, int64_t K, bool b_transposed) {
  std::vector<double> c(G * M * N, 0.0);
  for (int64_t g = 0; g < G; ++g)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t k = 0; k < K; ++k)
          c[(g * M + i) * N + j] += a[(g * M + i) * K + k] *
                                    (b_transposed ? b[(g * N + j) * K + k] : b[(g * K + k) * N + j]);
  return c;
}

std::vector<double> to_double(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

Tensor grad_input(const Shape& shape, uint64_t seed) {
  return test::random_tensor(shape, seed).set_requires_grad(true);
}

}  // namespace

TEST_CASE("layer_norm matches the definition and finite differences") {
  const int64_t N = 7, D = 13;
  Tensor x = test::random_tensor({N, D}, 1, -2.f, 3.f), g = test::random_tensor({D}, 2, 0.5f, 1.5f);
  Tensor b = test::random_tensor({D}, 3);
  const std::vector<double> ref = layer_norm_spec(x.to_vector(), g.to_vector(), b.to_vector(), N, D, 1e-6);
  test::expect_close(layer_norm(x, g, b, 1e-6f).to_vector(), to_float(ref), 1e-5, 1e-5, "layer_norm");
  // Leading dimensions are rows.
  test::expect_close(layer_norm(reshape(x, {N, 1, D}), g, b, 1e-6f).to_vector(), to_float(ref), 1e-5, 1e-5,
                     "layer_norm 3-D");
  test::check_gradients([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2], 1e-5f); },
                        {grad_input({5, 3, 11}, 4), grad_input({11}, 5), grad_input({11}, 6)});
  CHECK_THROWS_WITH_AS(layer_norm(x, test::random_tensor({D + 1}, 7), b, 1e-6f),
                       doctest::Contains("must be [13]"), Error);
}

TEST_CASE("gelu is the exact erf form and its derivative") {
  Tensor x = test::random_tensor({4, 9}, 10, -4.f, 4.f);
  std::vector<float> ref;
  for (float v : x.to_vector()) ref.push_back(static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)))));
  test::expect_close(gelu(x).to_vector(), ref, 1e-6, 1e-6, "gelu");
  // The tanh approximation differs from the erf form by up to ~1e-3 near |x| = 2: a wrong
  // formula cannot pass the 1e-6 check above at x = 2.
  Tensor two = Tensor::from_vector(std::vector<float>{2.f}, {1});
  CHECK(gelu(two).item() == doctest::Approx(1.9544997361).epsilon(1e-6));
  test::check_gradients([](const std::vector<Tensor>& in) { return gelu(in[0]); },
                        {grad_input({3, 17}, 11)});
}

TEST_CASE("softmax with a repeated additive bias matches the definition") {
  const int64_t Q = 3, P = 4, L = 9;
  Tensor x = test::random_tensor({Q, P, L}, 20, -3.f, 3.f), bias = test::random_tensor({P, L}, 21, -2.f, 2.f);
  const std::vector<float> bias_host = bias.to_vector();
  test::expect_close(softmax(x, bias).to_vector(), to_float(softmax_spec(to_double(x), &bias_host, L)), 1e-6,
                     1e-5, "softmax with bias");
  test::expect_close(softmax(x).to_vector(), to_float(softmax_spec(to_double(x), nullptr, L)), 1e-6, 1e-5,
                     "softmax");
  // Large logits do not overflow (the row maximum is subtracted first).
  Tensor big = Tensor::from_vector(std::vector<float>{1000.f, 999.f, 998.f}, {1, 3});
  test::expect_close(softmax(big).to_vector(), to_float(softmax_spec({1000, 999, 998}, nullptr, 3)), 1e-6, 1e-5,
                     "softmax of large logits");
  // A row masked to -inf everywhere gives zeros, a partly masked one ignores the masked entries.
  Tensor masked = Tensor::from_vector(std::vector<float>{-INFINITY, -INFINITY, 0.f, -INFINITY}, {2, 2});
  CHECK(softmax(masked).to_vector() == std::vector<float>{0.f, 0.f, 1.f, 0.f});
  test::check_gradients([](const std::vector<Tensor>& in) { return softmax(in[0], in[1]); },
                        {grad_input({2, 3, 5}, 22), grad_input({3, 5}, 23)});
  CHECK_THROWS_WITH_AS(softmax(x, test::random_tensor({P + 1, L}, 24)),
                       doctest::Contains("must have the shape of the last dimensions"), Error);
}

TEST_CASE("batched_matmul matches per-matrix products and finite differences") {
  const int64_t G = 3, M = 5, K = 4, N = 6;
  Tensor a = test::random_tensor({G, M, K}, 30), b = test::random_tensor({G, K, N}, 31);
  test::expect_close(batched_matmul(a, b).to_vector(), to_float(bmm_spec(to_double(a), to_double(b), G, M, N, K, false)),
                     1e-5, 1e-5, "batched_matmul");
  test::check_gradients([](const std::vector<Tensor>& in) { return batched_matmul(in[0], in[1]); },
                        {grad_input({G, M, K}, 32), grad_input({G, K, N}, 33)});
  CHECK_THROWS_WITH_AS(batched_matmul(a, test::random_tensor({G, K + 1, N}, 34)),
                       doctest::Contains("cannot be multiplied"), Error);
}

TEST_CASE("attention matches softmax(q k^T * scale + bias) v and finite differences") {
  const int64_t G = 6, P = 3, Nq = 5, Nk = 7, hd = 4;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  Tensor q = test::random_tensor({G, Nq, hd}, 40), k = test::random_tensor({G, Nk, hd}, 41);
  Tensor v = test::random_tensor({G, Nk, hd}, 42), bias = test::random_tensor({P, Nq, Nk}, 43);
  std::vector<double> scores = bmm_spec(to_double(q), to_double(k), G, Nq, Nk, hd, true);
  for (double& s : scores) s *= scale;
  const std::vector<float> bias_host = bias.to_vector();
  const std::vector<double> weights = softmax_spec(scores, &bias_host, Nk);
  const std::vector<double> ref = bmm_spec(weights, to_double(v), G, Nq, hd, Nk, false);
  test::expect_close(attention(q, k, v, scale, bias).to_vector(), to_float(ref), 1e-5, 1e-5, "attention");
  const std::vector<double> ref_plain =
      bmm_spec(softmax_spec(scores, nullptr, Nk), to_double(v), G, Nq, hd, Nk, false);
  test::expect_close(attention(q, k, v, scale).to_vector(), to_float(ref_plain), 1e-5, 1e-5, "attention, no bias");
  test::check_gradients(
      [scale](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2], scale, in[3]); },
      {grad_input({G, Nq, hd}, 44), grad_input({G, Nk, hd}, 45), grad_input({G, Nk, hd}, 46),
       grad_input({P, Nq, Nk}, 47)});
  CHECK_THROWS_WITH_AS(attention(q, k, v, scale, test::random_tensor({4, Nq, Nk}, 48)),
                       doctest::Contains("P dividing the 6 groups"), Error);
  CHECK_THROWS_WITH_AS(attention(q, k, test::random_tensor({G, Nk + 1, hd}, 49), scale),
                       doctest::Contains("must be (G, Nq, hd)"), Error);
}

// self_attention written out with the public ops: split the packed rows into heads, attend,
// merge the heads back.
Tensor split_attend_merge(const Tensor& qkv, int64_t H, const Tensor& bias) {
  const int64_t B = qkv.size(0), N = qkv.size(1), D = qkv.size(2) / 3, hd = D / H;
  const Tensor parts = permute(reshape(qkv, {B, N, 3, H, hd}), {2, 0, 3, 1, 4});
  auto part = [&](int64_t i) { return reshape(slice(parts, 0, i, i + 1), {B * H, N, hd}); };
  const Tensor out = attention(part(0), part(1), part(2), 1.f / std::sqrt(static_cast<float>(hd)), bias);
  return reshape(permute(reshape(out, {B, H, N, hd}), {0, 2, 1, 3}), {B, N, D});
}

TEST_CASE("self_attention on packed qkv rows equals split heads + attention + merge, and finite differences") {
  const int64_t B = 3, N = 5, H = 2, hd = 4, D = H * hd;
  for (const bool with_bias : {false, true}) {
    CAPTURE(with_bias);
    Tensor qkv = grad_input({B, N, 3 * D}, 60);
    Tensor bias = with_bias ? grad_input({H, N, N}, 61) : Tensor();
    const Tensor g = test::random_tensor({B, N, D}, 62);
    // The gradients of one way of computing it, as (dqkv, dbias).
    auto gradients = [&](const Tensor& out) {
      out.backward(g);
      std::vector<std::vector<float>> grads{qkv.grad().to_vector()};
      if (with_bias) grads.push_back(bias.grad().to_vector());
      qkv.zero_grad();
      if (with_bias) bias.zero_grad();
      return grads;
    };
    const Tensor fused = self_attention(qkv, H, bias);
    const std::vector<std::vector<float>> fused_grads = gradients(fused);
    const Tensor split = split_attend_merge(qkv, H, bias);
    const std::vector<std::vector<float>> split_grads = gradients(split);
    // The same GEMMs and softmax on the same values: equal to the bit, gradients too (the
    // split's slice gradients only add zeros).
    CHECK(fused.to_vector() == split.to_vector());
    for (size_t i = 0; i < fused_grads.size(); ++i) {
      CAPTURE(i);
      CHECK(fused_grads[i] == split_grads[i]);
    }
  }
  // B 2 x 2 heads = 4 groups, one bias for each.
  test::check_gradients([](const std::vector<Tensor>& in) { return self_attention(in[0], 2, in[1]); },
                        {grad_input({2, N, 3 * D}, 63), grad_input({2 * H, N, N}, 64)});
  CHECK_THROWS_WITH_AS(self_attention(test::random_tensor({B, N, 3 * D + 1}, 65), H),
                       doctest::Contains("must be (B, N, 3 D)"), Error);
  CHECK_THROWS_WITH_AS(self_attention(test::random_tensor({B, N, 3 * D}, 66), 3),
                       doctest::Contains("a multiple of the 3 heads"), Error);
  CHECK_THROWS_WITH_AS(self_attention(test::random_tensor({B, N, 3 * D}, 67), H, test::random_tensor({4, N, N}, 68)),
                       doctest::Contains("P dividing the 6 groups"), Error);
}

TEST_CASE("prepend_token and add_broadcast") {
  const int64_t B = 3, N = 4, D = 5;
  Tensor x = test::random_tensor({B, N, D}, 50), token = test::random_tensor({1, 1, D}, 51);
  const std::vector<float> xv = x.to_vector(), tv = token.to_vector();
  std::vector<float> ref;
  for (int64_t b = 0; b < B; ++b) {
    ref.insert(ref.end(), tv.begin(), tv.end());
    ref.insert(ref.end(), xv.begin() + b * N * D, xv.begin() + (b + 1) * N * D);
  }
  const Tensor with_token = prepend_token(x, token);
  CHECK(with_token.shape() == Shape{B, N + 1, D});
  CHECK(with_token.to_vector() == ref);
  test::check_gradients([](const std::vector<Tensor>& in) { return prepend_token(in[0], in[1]); },
                        {grad_input({B, N, D}, 52), grad_input({1, 1, D}, 53)});

  Tensor pos = test::random_tensor({1, N, D}, 54);
  const std::vector<float> pv = pos.to_vector();
  std::vector<float> sum_ref(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) sum_ref[i] = xv[i] + pv[i % pv.size()];
  CHECK(add_broadcast(x, pos).to_vector() == sum_ref);
  test::check_gradients([](const std::vector<Tensor>& in) { return add_broadcast(in[0], in[1]); },
                        {grad_input({B, N, D}, 55), grad_input({1, N, D}, 56)});
  CHECK_THROWS_WITH_AS(prepend_token(x, test::random_tensor({D + 1}, 57)), doctest::Contains("must hold 5 values"),
                       Error);
  CHECK_THROWS_WITH_AS(add_broadcast(x, test::random_tensor({1, N + 1, D}, 58)),
                       doctest::Contains("must have the shape of the last dimensions"), Error);
}

TEST_CASE("patch_embed equals a convolution with kernel = stride, dropping the remainder") {
  // 2 frames, 3 channels, 11 x 9 pixels, patch 4: a 2 x 2 grid, the last rows and columns dropped.
  const int64_t Nf = 2, C = 3, H = 11, W = 9, p = 4, D = 5, Hp = H / p, Wp = W / p;
  Tensor x = test::random_tensor({Nf, C, H, W}, 60), w = test::random_tensor({D, C, p, p}, 61);
  Tensor b = test::random_tensor({D}, 62);
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
  std::vector<double> ref(Nf * Hp * Wp * D);
  for (int64_t n = 0; n < Nf; ++n)
    for (int64_t i = 0; i < Hp; ++i)
      for (int64_t j = 0; j < Wp; ++j)
        for (int64_t d = 0; d < D; ++d) {
          double s = bv[d];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t u = 0; u < p; ++u)
              for (int64_t t = 0; t < p; ++t)
                s += static_cast<double>(wv[((d * C + c) * p + u) * p + t]) *
                     xv[((n * C + c) * H + i * p + u) * W + j * p + t];
          ref[((n * Hp + i) * Wp + j) * D + d] = s;  // tokens row-major over the grid
        }
  const Tensor tokens = patch_embed(x, w, b);
  CHECK(tokens.shape() == Shape{Nf, Hp * Wp, D});
  test::expect_close(tokens.to_vector(), to_float(ref), 1e-5, 1e-5, "patch_embed");
  test::check_gradients([](const std::vector<Tensor>& in) { return patch_embed(in[0], in[1], in[2]); },
                        {grad_input({Nf, C, H, W}, 63), grad_input({D, C, p, p}, 64), grad_input({D}, 65)});
  CHECK_THROWS_WITH_AS(patch_embed(x, test::random_tensor({D, C + 1, p, p}, 66), b),
                       doctest::Contains("must be (D, C, p, p)"), Error);
}
