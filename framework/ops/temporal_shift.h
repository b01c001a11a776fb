// The temporal shift of TSM-ResNet18 (SPEC.md section 4) as an op, on the CPU or CUDA.
#pragma once

#include <cstdint>

#include "framework/tensor.h"

namespace learner {

// x (B*T, C, H, W) f32 -> (B*T, C, H, W): fold = C / fold_div channels read the next frame,
// the next fold channels the previous one (kernels/temporal_shift.h). Differentiable.
Tensor temporal_shift(const Tensor& x, int64_t T, int64_t fold_div = 8);

}  // namespace learner
