// Exact GELU (the erf form, torch.nn.GELU() with approximate='none'):
//   y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
//   dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
// n contiguous f32 values; both overwrite their output.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// The reference: std::erf and std::exp per element.
void gelu_forward_cpu(float* y, const float* x, int64_t n);
// dx = dy * GELU'(x), from the input x.
void gelu_backward_cpu(float* dx, const float* dy, const float* x, int64_t n);

// The fast path the op uses (kernels/gelu_fast.cpp): the same formulas with a vectorised erf
// and exp (kernels/fast_math.h), within a few float roundings of the reference;
// LEARNER_CPU_GELU=reference selects the reference instead.
void gelu_forward_fast_cpu(float* y, const float* x, int64_t n);
void gelu_backward_fast_cpu(float* dx, const float* dy, const float* x, int64_t n);
// Whether the op runs the fast path: LEARNER_CPU_GELU unset or "fast" (yes), "reference" (no);
// any other value is an error naming the variable. Read once.
bool gelu_cpu_fast();

void gelu_forward_cuda(float* y, const float* x, int64_t n, cudaStream_t stream);
void gelu_backward_cuda(float* dx, const float* dy, const float* x, int64_t n, cudaStream_t stream);

}  // namespace learner
