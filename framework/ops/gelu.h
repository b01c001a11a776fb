// Exact (erf) GELU as an op, on the CPU or CUDA.
#pragma once

#include "framework/tensor.h"

namespace learner {

Tensor gelu(const Tensor& x);  // 0.5 x (1 + erf(x / sqrt 2)), any shape; differentiable

}  // namespace learner
