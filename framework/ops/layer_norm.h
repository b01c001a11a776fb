// LayerNorm over the last dimension (torch.nn.functional.layer_norm), on the CPU or CUDA.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x (..., D), weight and bias (D) -> (..., D); math in kernels/layer_norm.h. Differentiable
// in all three.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);

}  // namespace learner
