// The attention op: two batched GEMMs around our bias + softmax kernel; the backward saves
// only the attention weights A (G, Nq, Nk) besides the inputs.
#include "framework/ops/attention.h"

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

// dS from dA and A (may write into dA's buffer: each row is read before it is written).
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

}  // namespace

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, float scale,
                 const Tensor& bias) {
  LEARNER_NVTX_RANGE("attention");
  for (const auto& [t, name] : {std::pair<const Tensor&, const char*>{q, "q"}, {k, "k"}, {v, "v"}}) {
    check_dtype(t, DType::F32, "attention", name);
    check_rank(t, 3, "attention", name);
    check_same_device(q, t, "attention");
  }
  const AttentionSizes z{q.size(0), q.size(1), k.size(1), q.size(2),
                         bias.defined() && bias.dim() == 3 ? bias.size(0) : 1};
  LEARNER_CHECK(k.shape() == v.shape() && k.size(0) == z.G && k.size(2) == z.hd, "attention: q ",
                q.describe(), ", k ", k.describe(), " and v ", v.describe(),
                " must be (G, Nq, hd), (G, Nk, hd), (G, Nk, hd)");
  if (bias.defined()) {
    check_dtype(bias, DType::F32, "attention", "bias");
    check_same_device(q, bias, "attention");
    LEARNER_CHECK(bias.dim() == 3 && bias.size(1) == z.Nq && bias.size(2) == z.Nk && z.P > 0 &&
                      z.G % z.P == 0,
                  "attention: bias ", bias.describe(), " must be (P, ", z.Nq, ", ", z.Nk,
                  ") with P dividing the ", z.G, " groups of q ", q.describe());
  }
  const Device device = q.device();
  Tensor A = Tensor::empty({z.G, z.Nq, z.Nk}, DType::F32, device);
  batched_gemm(A, q, k, z.G, z.Nq, z.Nk, z.hd, Transpose::No, Transpose::Yes, scale, 0.f);
  softmax_in_place(A, bias, z);
  Tensor out = Tensor::empty({z.G, z.Nq, z.hd}, DType::F32, device);
  batched_gemm(out, A, v, z.G, z.Nq, z.hd, z.Nk, Transpose::No, Transpose::No, 1.f, 0.f);

  const bool keep = needs_graph({q, k, v, bias});
  Tensor qs = keep ? q.detach() : Tensor(), ks = keep ? k.detach() : Tensor();
  Tensor vs = keep ? v.detach() : Tensor(), As = keep ? A : Tensor();
  return record(out, "attention", {q, k, v, bias},
                [qs, ks, vs, As, z, scale](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("attention_backward");
                  const Device dev = g.device();
                  Tensor dq, dk, dv, dbias;
                  if (needs[2]) {
                    dv = Tensor::empty({z.G, z.Nk, z.hd}, DType::F32, dev);
                    batched_gemm(dv, As, g, z.G, z.Nk, z.hd, z.Nq, Transpose::Yes, Transpose::No,
                                 1.f, 0.f);
                  }
                  if (!(needs[0] || needs[1] || needs[3])) return std::vector<Tensor>{dq, dk, dv, dbias};
                  Tensor dA = Tensor::empty({z.G, z.Nq, z.Nk}, DType::F32, dev);
                  batched_gemm(dA, g, vs, z.G, z.Nq, z.Nk, z.hd, Transpose::No, Transpose::Yes,
                               1.f, 0.f);
                  const Tensor dS = softmax_gradient(dA, As, z);
                  if (needs[0]) {
                    dq = Tensor::empty({z.G, z.Nq, z.hd}, DType::F32, dev);
                    batched_gemm(dq, dS, ks, z.G, z.Nq, z.hd, z.Nk, Transpose::No, Transpose::No,
                                 scale, 0.f);
                  }
                  if (needs[1]) {
                    dk = Tensor::empty({z.G, z.Nk, z.hd}, DType::F32, dev);
                    batched_gemm(dk, dS, qs, z.G, z.Nk, z.hd, z.Nq, Transpose::Yes, Transpose::No,
                                 scale, 0.f);
                  }
                  if (needs[3])
                    dbias = reshape(sum(reshape(dS, {z.G / z.P, z.P * z.Nq * z.Nk}), 0),
                                    {z.P, z.Nq, z.Nk});
                  return std::vector<Tensor>{dq, dk, dv, dbias};
                });
}

}  // namespace learner
