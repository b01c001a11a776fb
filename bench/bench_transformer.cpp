// Benchmarks of the transformer stack on the CPU: the attention op (forward + backward) at
// ViT-Tiny's shape, self_attention on packed qkv rows against the composition it replaced, and one ViT-Tiny training step (B 8, T 8, 112 px, C 1: forward, MSE + wCL,
// backward, AdamW) — the shape of bench/vit_step_pytorch.py, which times timm's model the same
// way on the same thread count.
#include <omp.h>

#include <cmath>
#include <cstdio>

#include "bench/bench.h"
#include "framework/ops.h"
#include "framework/optim/no_decay.h"
#include "framework/optim/optimizer.h"
#include "framework/random.h"
#include "models/heads.h"

namespace learner::bench {

namespace {

Tensor uniform(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(-1.f, 1.f);
  return t;
}

}  // namespace

LEARNER_BENCHMARK("attention_cpu", "attention op fwd+bwd at ViT-Tiny's shape (B*T 64 x 3 heads, 50 tokens, hd 64)") {
  const int64_t G = 64 * 3, N = 50, hd = 64;
  Tensor q = uniform({G, N, hd}, 1).set_requires_grad(true), k = uniform({G, N, hd}, 2).set_requires_grad(true);
  Tensor v = uniform({G, N, hd}, 3).set_requires_grad(true), g = uniform({G, N, hd}, 4);
  const double s = median_seconds([&] { attention(q, k, v, 0.125f).backward(g); }, 2, 10);
  std::printf("attention fwd+bwd (%lld, %lld, %lld), %d threads: %.2f ms\n", static_cast<long long>(G),
              static_cast<long long>(N), static_cast<long long>(hd), omp_get_max_threads(), s * 1e3);
}

LEARNER_BENCHMARK("self_attention_cpu",
                  "self_attention on packed qkv fwd+bwd at ViT-Tiny's shape, against the split heads + attention + merge it replaced") {
  const int64_t B = 64, N = 50, H = 3, hd = 64, D = H * hd;
  Tensor qkv = uniform({B, N, 3 * D}, 1).set_requires_grad(true);
  const Tensor g = uniform({B, N, D}, 4);
  auto split = [&] {
    const Tensor parts = permute(reshape(qkv, {B, N, 3, H, hd}), {2, 0, 3, 1, 4});
    auto part = [&](int64_t i) { return reshape(slice(parts, 0, i, i + 1), {B * H, N, hd}); };
    const Tensor out = attention(part(0), part(1), part(2), 0.125f);
    reshape(permute(reshape(out, {B, H, N, hd}), {0, 2, 1, 3}), {B, N, D}).backward(g);
    qkv.zero_grad();
  };
  auto packed = [&] {
    self_attention(qkv, H).backward(g);
    qkv.zero_grad();
  };
  // Alternated, so that a change in the machine's load hits both.
  double split_s = 0, packed_s = 0;
  for (int round = 0; round < 3; ++round) {
    split_s += median_seconds(split, 1, 5) / 3;
    packed_s += median_seconds(packed, 1, 5) / 3;
  }
  std::printf("qkv (%lld, %lld, %lld), %lld heads, %d threads: split + attention + merge %.2f ms, self_attention %.2f ms\n",
              static_cast<long long>(B), static_cast<long long>(N), static_cast<long long>(3 * D),
              static_cast<long long>(H), omp_get_max_threads(), split_s * 1e3, packed_s * 1e3);
}

LEARNER_BENCHMARK("vit_step_cpu", "ViT-Tiny training step, B 8 T 8 112 px: forward, MSE + wCL, backward, AdamW") {
  models::EncoderOptions o;
  o.backbone = models::Backbone::ViTTiny;
  o.frames = 8;
  Generator gen(5);
  models::PretrainModel model(o, gen);
  model.train();
  optim::AdamOptions a;
  a.lr = 1e-4f;
  a.weight_decay = 0.05f;
  a.decay = optim::WeightDecay::Decoupled;
  optim::Adam adamw(model.parameters(), a, optim::weight_decay_flags(model.named_parameters()));
  const Tensor x = uniform({64, 1, 112, 112}, 6);
  Tensor y = uniform({8}, 7);
  const double s = median_seconds(
      [&] {
        const auto out = model.run(x);
        const Tensor loss = add(mse_loss(out.prediction, y),
                                contrastive_loss(out.embedding, y, ContrastiveKind::WCL, Similarity::Cos, 0.05f));
        adamw.zero_grad();
        loss.backward();
        adamw.step();
      },
      1, 5);
  std::printf("vit-tiny step B8 T8 112px, %d threads: %.1f ms\n", omp_get_max_threads(), s * 1e3);
}

}  // namespace learner::bench
