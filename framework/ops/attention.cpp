// The attention op: two batched GEMMs around our bias + softmax kernel; the backward saves
// only the attention weights A (G, Nq, Nk) besides the inputs. self_attention is the same
// computation on timm's packed qkv rows, with the head split and merge inside the op.
#include "framework/ops/attention.h"

#include <cmath>

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/batched_matmul.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "kernels/softmax.h"

namespace learner {

namespace {

struct AttentionSizes {
  int64_t G, Nq, Nk, hd, P;
};

void check_bias(const Tensor& q, const char* q_name, const Tensor& bias, const AttentionSizes& z, const char* op) {
  if (!bias.defined()) return;
  check_dtype(bias, DType::F32, op, "bias");
  check_same_device(q, bias, op);
  LEARNER_CHECK(bias.dim() == 3 && bias.size(1) == z.Nq && bias.size(2) == z.Nk && z.P > 0 && z.G % z.P == 0, op,
                ": bias ", bias.describe(), " must be (P, ", z.Nq, ", ", z.Nk, ") with P dividing the ", z.G,
                " groups of ", q_name, " ", q.describe());
}

int64_t bias_groups(const Tensor& bias) { return bias.defined() && bias.dim() == 3 ? bias.size(0) : 1; }

// In place: s = softmax(s + bias) row by row.
void softmax_in_place(const Tensor& s, const Tensor& bias, const AttentionSizes& z) {
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  const int64_t P = bias.defined() ? z.P * z.Nq : z.G * z.Nq, Q = bias.defined() ? z.G / z.P : 1;
  if (s.device().is_cuda()) {
    LEARNER_CUDA_CALL("attention_softmax", softmax_forward_cuda(s.data<float>(), s.data<float>(), b,
                                                                Q, P, z.Nk, stream_for(s.device())));
  } else {
    softmax_forward_cpu(s.data<float>(), s.data<float>(), b, Q, P, z.Nk);
  }
}

// dS from dA and A.
Tensor softmax_gradient(const Tensor& dA, const Tensor& A, const AttentionSizes& z) {
  Tensor dS = Tensor::empty(A.shape(), DType::F32, A.device());
  if (A.device().is_cuda()) {
    LEARNER_CUDA_CALL("attention_softmax_backward",
                      softmax_backward_cuda(dS.data<float>(), dA.data<float>(), A.data<float>(),
                                            z.G * z.Nq, z.Nk, stream_for(A.device())));
  } else {
    softmax_backward_cpu(dS.data<float>(), dA.data<float>(), A.data<float>(), z.G * z.Nq, z.Nk);
  }
  return dS;
}

// out (G, Nq, hd) = softmax(scale q k^T + bias) v; returns the weights A (G, Nq, Nk).
Tensor attention_forward(const Tensor& out, const Tensor& q, const Tensor& k, const Tensor& v, float scale,
                         const Tensor& bias, const AttentionSizes& z) {
  Tensor A = Tensor::empty({z.G, z.Nq, z.Nk}, DType::F32, q.device());
  batched_gemm(A, q, k, z.G, z.Nq, z.Nk, z.hd, Transpose::No, Transpose::Yes, scale, 0.f);
  softmax_in_place(A, bias, z);
  batched_gemm(out, A, v, z.G, z.Nq, z.hd, z.Nk, Transpose::No, Transpose::No, 1.f, 0.f);
  return A;
}

// The gradients whose destination is defined: dq, dk, dv are written into the given
// (G, N, hd) tensors (views into one buffer for self_attention); dbias is returned when
// asked for (want_dbias), (P, Nq, Nk).
Tensor attention_backward(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& A,
                          float scale, const AttentionSizes& z, const Tensor& dq, const Tensor& dk,
                          const Tensor& dv, bool want_dbias) {
  if (dv.defined()) batched_gemm(dv, A, g, z.G, z.Nk, z.hd, z.Nq, Transpose::Yes, Transpose::No, 1.f, 0.f);
  if (!(dq.defined() || dk.defined() || want_dbias)) return Tensor();
  Tensor dA = Tensor::empty({z.G, z.Nq, z.Nk}, DType::F32, g.device());
  batched_gemm(dA, g, v, z.G, z.Nq, z.Nk, z.hd, Transpose::No, Transpose::Yes, 1.f, 0.f);
  const Tensor dS = softmax_gradient(dA, A, z);
  if (dq.defined()) batched_gemm(dq, dS, k, z.G, z.Nq, z.hd, z.Nk, Transpose::No, Transpose::No, scale, 0.f);
  if (dk.defined()) batched_gemm(dk, dS, q, z.G, z.Nk, z.hd, z.Nq, Transpose::Yes, Transpose::No, scale, 0.f);
  if (!want_dbias) return Tensor();
  return reshape(sum(reshape(dS, {z.G / z.P, z.P * z.Nq * z.Nk}), 0), {z.P, z.Nq, z.Nk});
}

// Block i of a (3, G, N, hd) tensor as (G, N, hd): a view.
Tensor block(const Tensor& t, int64_t i) { return reshape(slice(t, 0, i, i + 1), {t.size(1), t.size(2), t.size(3)}); }

Tensor empty_like_if(bool wanted, const Tensor& like) {
  return wanted ? Tensor::empty(like.shape(), DType::F32, like.device()) : Tensor();
}

}  // namespace

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, float scale,
                 const Tensor& bias) {
  LEARNER_NVTX_RANGE("attention");
  for (const auto& [t, name] : {std::pair<const Tensor&, const char*>{q, "q"}, {k, "k"}, {v, "v"}}) {
    check_dtype(t, DType::F32, "attention", name);
    check_rank(t, 3, "attention", name);
    check_same_device(q, t, "attention");
  }
  const AttentionSizes z{q.size(0), q.size(1), k.size(1), q.size(2), bias_groups(bias)};
  LEARNER_CHECK(k.shape() == v.shape() && k.size(0) == z.G && k.size(2) == z.hd, "attention: q ",
                q.describe(), ", k ", k.describe(), " and v ", v.describe(),
                " must be (G, Nq, hd), (G, Nk, hd), (G, Nk, hd)");
  check_bias(q, "q", bias, z, "attention");
  Tensor out = Tensor::empty({z.G, z.Nq, z.hd}, DType::F32, q.device());
  const Tensor A = attention_forward(out, q, k, v, scale, bias, z);

  const bool keep = needs_graph({q, k, v, bias});
  Tensor qs = keep ? q.detach() : Tensor(), ks = keep ? k.detach() : Tensor();
  Tensor vs = keep ? v.detach() : Tensor(), As = keep ? A : Tensor();
  return record(out, "attention", {q, k, v, bias},
                [qs, ks, vs, As, z, scale](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("attention_backward");
                  const Tensor dq = empty_like_if(needs[0], qs), dk = empty_like_if(needs[1], ks);
                  const Tensor dv = empty_like_if(needs[2], vs);
                  const Tensor dbias = attention_backward(g, qs, ks, vs, As, scale, z, dq, dk, dv, needs[3]);
                  return std::vector<Tensor>{dq, dk, dv, dbias};
                });
}

Tensor self_attention(const Tensor& qkv, int64_t heads, const Tensor& bias) {
  LEARNER_NVTX_RANGE("self_attention");
  check_dtype(qkv, DType::F32, "self_attention", "qkv");
  check_rank(qkv, 3, "self_attention", "qkv");
  const int64_t B = qkv.size(0), N = qkv.size(1), D = qkv.size(2) / 3;
  LEARNER_CHECK(heads > 0 && qkv.size(2) == 3 * D && D % heads == 0, "self_attention: qkv ", qkv.describe(),
                " must be (B, N, 3 D) with D a multiple of the ", heads, " heads");
  const int64_t hd = D / heads;
  const AttentionSizes z{B * heads, N, N, hd, bias_groups(bias)};
  check_bias(qkv, "qkv", bias, z, "self_attention");
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));

  // (B, N, 3, H, hd) -> (3, B, H, N, hd): q, k and v are its three outer blocks (views).
  const Tensor parts = reshape(permute(reshape(qkv.detach(), {B, N, 3, heads, hd}), {2, 0, 3, 1, 4}),
                               {3, z.G, N, hd});
  const Tensor q = block(parts, 0), k = block(parts, 1), v = block(parts, 2);
  const Tensor heads_out = Tensor::empty({z.G, N, hd}, DType::F32, qkv.device());
  const Tensor A = attention_forward(heads_out, q, k, v, scale, bias, z);
  // (B, H, N, hd) -> (B, N, H, hd): head h's values at columns h hd .. (h + 1) hd.
  const Tensor out = reshape(permute(reshape(heads_out, {B, heads, N, hd}), {0, 2, 1, 3}), {B, N, D});

  const bool keep = needs_graph({qkv, bias});
  Tensor parts_kept = keep ? parts : Tensor(), A_kept = keep ? A : Tensor();
  return record(out, "self_attention", {qkv, bias},
                [parts_kept, A_kept, z, scale, B, N, heads, hd](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("self_attention_backward");
                  const Tensor g_heads = reshape(permute(reshape(g, {B, N, heads, hd}), {0, 2, 1, 3}), {z.G, N, hd});
                  // dq, dk, dv land in one (3, G, N, hd) buffer, permuted back to qkv's layout once.
                  const Tensor dparts = needs[0] ? Tensor::empty(parts_kept.shape(), DType::F32, g.device()) : Tensor();
                  auto grad_block = [&](int64_t i) { return needs[0] ? block(dparts, i) : Tensor(); };
                  const Tensor dbias = attention_backward(g_heads, block(parts_kept, 0), block(parts_kept, 1),
                                                          block(parts_kept, 2), A_kept, scale, z, grad_block(0),
                                                          grad_block(1), grad_block(2), needs[1]);
                  Tensor dqkv;
                  if (needs[0])
                    dqkv = reshape(permute(reshape(dparts, {3, B, heads, N, hd}), {1, 3, 0, 2, 4}), {B, N, 3 * heads * hd});
                  return std::vector<Tensor>{dqkv, dbias};
                });
}

}  // namespace learner
