// Differentiable reductions over f32 tensors. Sums run in a fixed order (double
// accumulation per output, sequential over the reduced elements on the CPU; float along a
// fixed tree on CUDA), so results repeat to the bit. mean of zero elements is an error.
#pragma once

#include "framework/tensor.h"

namespace learner {

Tensor sum(const Tensor& x);                                   // all elements -> shape []
Tensor sum(const Tensor& x, int dim, bool keepdim = false);    // over one dimension
Tensor mean(const Tensor& x);                                  // all elements -> shape []
Tensor mean(const Tensor& x, int dim, bool keepdim = false);   // over one dimension

}  // namespace learner
