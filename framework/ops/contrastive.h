// The contrastive pre-training loss of SPEC.md section 6 and its pieces (score distances,
// mining, embedding similarities) as ops, on the CPU or CUDA.
#pragma once

#include <cstdint>

#include "framework/tensor.h"
#include "kernels/contrastive_loss.h"  // ContrastiveKind
#include "kernels/mining.h"            // MineRole
#include "kernels/pairwise.h"          // Similarity

namespace learner {

// y (G*B) or (G, B) f32 -> d (G, B, B), d_ij = |y_i - y_j|. Not differentiable.
Tensor pairwise_abs_diff(const Tensor& y, int64_t G = 1);

// d (G, B, B) f32 -> roles (G, B, B) u8 holding MineRole values (kernels/mining.h).
// Not differentiable.
Tensor mine_pos_neg(const Tensor& d);

// u (G, B, E) -> s (G, B, B), or u (B, E) -> s (B, B) (kernels/pairwise.h). Differentiable.
Tensor pairwise_similarity(const Tensor& u, Similarity kind);

// The contrastive term CL or wCL of SPEC.md section 6: u (B, E) f32 embeddings, y (B) f32
// normalized targets -> scalar. Differentiable w.r.t. u; y is a target and gets no gradient.
Tensor contrastive_loss(const Tensor& u, const Tensor& y, ContrastiveKind kind,
                        Similarity similarity = Similarity::Cos,
                        float eps_w = kDefaultContrastiveEps);

}  // namespace learner
