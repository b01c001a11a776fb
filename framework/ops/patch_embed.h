// Patch embedding: Conv2d(C, D, kernel p, stride p) as patch extraction plus one GEMM
// (kernels/patchify.h), returning tokens rather than a feature map.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x (N, C, H, W), weight (D, C, p, p), bias (D) or undefined -> tokens (N, (H/p)(W/p), D),
// patches row-major (timm's proj(x).flatten(2).transpose(1, 2)). Differentiable in all three.
Tensor patch_embed(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace learner
