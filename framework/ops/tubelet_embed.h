// Tubelet embedding (VideoMAE's patch embedding): Conv3d(C, D, (tt, p, p), stride (tt, p, p))
// over each clip's (C, T, H, W), as tubelet extraction plus one GEMM (kernels/tubelet.h),
// returning tokens rather than a feature map.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x (B*T, C, H, W), the T frames of a clip contiguous; weight (D, C, tt, p, p); bias (D) or
// undefined -> tokens (B, (T/tt)(H/p)(W/p), D), time-major (Conv3d(x).flatten(2).transpose(1,
// 2) on (B, C, T, H, W)). T must be a multiple of tt. Differentiable in all three.
Tensor tubelet_embed(const Tensor& x, int64_t frames, const Tensor& weight, const Tensor& bias);

}  // namespace learner
