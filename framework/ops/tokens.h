// Token-sequence ops of the transformer encoders (kernels/tokens.h), on the CPU or CUDA.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x (B, N, D), token (D) or any shape of D values (timm's cls_token is (1, 1, D))
// -> (B, N + 1, D) with the token in front of every sequence. Differentiable in both.
Tensor prepend_token(const Tensor& x, const Tensor& token);

// x (Q, ...) + p, where p has the shape of x's trailing dimensions or that shape with
// leading 1s (timm's pos_embed (1, N, D) on tokens (B, N, D)): p repeats over the leading
// ones. Differentiable in both; dp sums over the repeats.
Tensor add_broadcast(const Tensor& x, const Tensor& p);

}  // namespace learner
