// Differentiable elementwise ops on f32 tensors of equal shape (no broadcasting: biases
// are added inside conv2d and linear), plus the one in-place accumulation.
#pragma once

#include "framework/tensor.h"

namespace learner {

Tensor add(const Tensor& a, const Tensor& b);           // a + b
Tensor sub(const Tensor& a, const Tensor& b);           // a - b
Tensor mul(const Tensor& a, const Tensor& b);           // a * b
Tensor mul_scalar(const Tensor& x, float alpha);        // alpha * x
Tensor relu(const Tensor& x);                           // max(x, 0)
// relu(add(a, b)) in one op: the same values and gradients to the bit, one pass over memory
// and one tensor fewer (the residual join of a ResNet block).
Tensor add_relu(const Tensor& a, const Tensor& b);

// dst += src, not recorded by autograd: how gradients and optimizer states accumulate.
void add_(Tensor& dst, const Tensor& src);

}  // namespace learner
