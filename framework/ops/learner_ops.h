// Ops specific to the learner model (SPEC.md sections 4 and 6): the temporal shift of
// TSM-ResNet18 and the contrastive pre-training loss with its pieces (score distances,
// mining, embedding similarities), on the CPU or CUDA.
#pragma once

#include <cstdint>

#include "framework/tensor.h"
#include "kernels/contrastive_loss.h"  // ContrastiveKind
#include "kernels/mining.h"            // MineRole
#include "kernels/pairwise.h"          // Similarity

namespace learner {

// x (B*T, C, H, W) f32 -> (B*T, C, H, W): fold = C / fold_div channels read the next frame,
// the next fold channels the previous one (kernels/temporal_shift.h). Differentiable.
Tensor temporal_shift(const Tensor& x, int64_t T, int64_t fold_div = 8);

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
