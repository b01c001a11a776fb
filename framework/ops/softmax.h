// Row softmax over the last dimension with an optional additive bias (kernels/softmax.h).
#pragma once

#include "framework/tensor.h"

namespace learner {

// x (..., L); bias undefined or shaped as the last bias.dim() dimensions of x, repeated over
// the leading ones (e.g. x (B, heads, N, N) with bias (heads, N, N)). Returns
// softmax(x + bias) over the last dimension; differentiable in x and bias.
Tensor softmax(const Tensor& x, const Tensor& bias = Tensor());

}  // namespace learner
