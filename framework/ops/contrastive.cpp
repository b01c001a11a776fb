// The contrastive ops: argument checks, NVTX ranges, device dispatch and backward closures.
// The contrastive loss runs distances, mining, similarity and loss as separate kernels and
// keeps what its backward needs (d, roles, s and the similarity's aux values).
#include "framework/ops/contrastive.h"

#include <cmath>

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"

namespace learner {

namespace {

// What the similarity forward leaves for its backward.
struct SimilarityResult {
  Tensor s, aux, norm;  // (G,B,B), (G,B,B), (G,B)
};

SimilarityResult similarity_forward(const Tensor& u, int64_t G, int64_t B, int64_t E,
                                    Similarity kind) {
  SimilarityResult r{Tensor::empty({G, B, B}, DType::F32, u.device()),
                     Tensor::empty({G, B, B}, DType::F32, u.device()),
                     Tensor::empty({G, B}, DType::F32, u.device())};
  if (u.device().is_cuda()) {
    LEARNER_CUDA_CALL("pairwise_similarity",
                      pairwise_similarity_forward_cuda(r.s.data<float>(), r.aux.data<float>(),
                                                       r.norm.data<float>(), u.data<float>(), G, B,
                                                       E, kind, stream_for(u.device())));
  } else {
    pairwise_similarity_forward_cpu(r.s.data<float>(), r.aux.data<float>(), r.norm.data<float>(),
                                    u.data<float>(), G, B, E, kind);
  }
  return r;
}

// du with u's shape, from ds (G,B,B).
Tensor similarity_backward(const Tensor& ds, const SimilarityResult& r, const Tensor& u, int64_t G,
                           int64_t B, int64_t E, Similarity kind) {
  LEARNER_NVTX_RANGE("pairwise_similarity_backward");
  Tensor du = Tensor::empty(u.shape(), DType::F32, u.device());
  if (u.device().is_cuda()) {
    Tensor workspace = Tensor::empty({pairwise_similarity_backward_workspace_floats(G, B)},
                                     DType::F32, u.device());
    LEARNER_CUDA_CALL("pairwise_similarity_backward",
                      pairwise_similarity_backward_cuda(
                          du.data<float>(), workspace.data<float>(), ds.data<float>(),
                          r.s.data<float>(), r.aux.data<float>(), r.norm.data<float>(),
                          u.data<float>(), G, B, E, kind, stream_for(u.device())));
  } else {
    pairwise_similarity_backward_cpu(du.data<float>(), ds.data<float>(), r.s.data<float>(),
                                     r.aux.data<float>(), r.norm.data<float>(), u.data<float>(), G,
                                     B, E, kind);
  }
  return du;
}

Tensor distances(const Tensor& y, int64_t G, int64_t B) {
  Tensor d = Tensor::empty({G, B, B}, DType::F32, y.device());
  if (y.device().is_cuda()) {
    LEARNER_CUDA_CALL(
        "pairwise_abs_diff",
        pairwise_abs_diff_cuda(d.data<float>(), y.data<float>(), G, B, stream_for(y.device())));
  } else {
    pairwise_abs_diff_cpu(d.data<float>(), y.data<float>(), G, B);
  }
  return d;
}

Tensor roles_of(const Tensor& d, int64_t G, int64_t B) {
  Tensor roles = Tensor::empty({G, B, B}, DType::U8, d.device());
  if (d.device().is_cuda()) {
    LEARNER_CUDA_CALL("mine_pos_neg", mine_pos_neg_cuda(roles.data<uint8_t>(), d.data<float>(), G,
                                                        B, stream_for(d.device())));
  } else {
    mine_pos_neg_cpu(roles.data<uint8_t>(), d.data<float>(), G, B);
  }
  return roles;
}

}  // namespace

Tensor pairwise_abs_diff(const Tensor& y, int64_t G) {
  LEARNER_NVTX_RANGE("pairwise_abs_diff");
  check_dtype(y, DType::F32, "pairwise_abs_diff", "y");
  const bool flat = y.dim() == 1 && G >= 1 && y.size(0) % G == 0;
  const bool grouped = y.dim() == 2 && y.size(0) == G;
  LEARNER_CHECK(flat || grouped, "pairwise_abs_diff: y ", y.describe(),
                " must be (G*B) or (G, B) with G = ", G);
  return record_non_differentiable(distances(y, G, y.numel() / G), "pairwise_abs_diff", {y});
}

Tensor mine_pos_neg(const Tensor& d) {
  LEARNER_NVTX_RANGE("mine_pos_neg");
  check_dtype(d, DType::F32, "mine_pos_neg", "d");
  check_rank(d, 3, "mine_pos_neg", "d");
  LEARNER_CHECK(d.size(1) == d.size(2), "mine_pos_neg: d ", d.describe(), " must be (G, B, B)");
  return record_non_differentiable(roles_of(d, d.size(0), d.size(1)), "mine_pos_neg", {d});
}

Tensor pairwise_similarity(const Tensor& u, Similarity kind) {
  LEARNER_NVTX_RANGE("pairwise_similarity");
  check_dtype(u, DType::F32, "pairwise_similarity", "u");
  LEARNER_CHECK(u.dim() == 2 || u.dim() == 3, "pairwise_similarity: u ", u.describe(),
                " must be (B, E) or (G, B, E)");
  const int64_t G = u.dim() == 3 ? u.size(0) : 1, B = u.size(-2), E = u.size(-1);
  SimilarityResult r = similarity_forward(u, G, B, E, kind);
  const Shape shape = u.dim() == 3 ? Shape{G, B, B} : Shape{B, B};
  Tensor out = r.s.view_as_shape(shape);
  if (!needs_graph({u})) return out;
  const Tensor u_saved = u.detach();
  return record(out, "pairwise_similarity", {u},
                [r, u_saved, G, B, E, kind](const Tensor& g, const NeedsGrad&) {
                  return std::vector<Tensor>{similarity_backward(g, r, u_saved, G, B, E, kind)};
                });
}

Tensor contrastive_loss(const Tensor& u, const Tensor& y, ContrastiveKind kind,
                        Similarity similarity, float eps_w) {
  LEARNER_NVTX_RANGE("contrastive_loss");
  const char* op = "contrastive_loss";
  check_dtype(u, DType::F32, op, "u");
  check_dtype(y, DType::F32, op, "y");
  check_rank(u, 2, op, "u");
  check_rank(y, 1, op, "y");
  check_same_device(u, y, op);
  const int64_t B = u.size(0), E = u.size(1);
  LEARNER_CHECK(y.size(0) == B, op, ": u ", u.describe(), " and y ", y.describe(),
                " must hold the same batch");
  LEARNER_CHECK(B >= 2, op, ": needs a batch of at least 2 samples, got ", B);
  LEARNER_CHECK(kind == ContrastiveKind::CL || (std::isfinite(eps_w) && eps_w > 0.f), op,
                ": wCL needs eps_w > 0, got ", eps_w);
  const Device device = u.device();
  Tensor d = distances(y, 1, B);
  Tensor roles = roles_of(d, 1, B);
  SimilarityResult r = similarity_forward(u, 1, B, E, similarity);
  Tensor loss = Tensor::empty({}, DType::F32, device);
  Tensor terms = Tensor::empty({B}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(
        op, contrastive_loss_forward_cuda(loss.data<float>(), terms.data<float>(),
                                          r.s.data<float>(), d.data<float>(), roles.data<uint8_t>(),
                                          1, B, kind, eps_w, stream_for(device)));
  } else {
    contrastive_loss_forward_cpu(loss.data<float>(), terms.data<float>(), r.s.data<float>(),
                                 d.data<float>(), roles.data<uint8_t>(), 1, B, kind, eps_w);
  }
  if (!needs_graph({u})) return loss;
  const Tensor u_saved = u.detach();
  return record(loss, op, {u}, [=](const Tensor& g, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("contrastive_loss_backward");
    Tensor ds = Tensor::empty({1, B, B}, DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("contrastive_loss_backward",
                        contrastive_loss_backward_cuda(
                            ds.data<float>(), g.data<float>(), r.s.data<float>(), d.data<float>(),
                            roles.data<uint8_t>(), 1, B, kind, eps_w, stream_for(g.device())));
    } else {
      contrastive_loss_backward_cpu(ds.data<float>(), g.data<float>(), r.s.data<float>(),
                                    d.data<float>(), roles.data<uint8_t>(), 1, B, kind, eps_w);
    }
    return std::vector<Tensor>{similarity_backward(ds, r, u_saved, 1, B, E, similarity)};
  });
}

}  // namespace learner
