// Elementwise kernels on n contiguous f32 values. All overwrite `out`, except
// accumulate, which adds into `dst` (the one way gradients are summed).
//   add:        out = a + b
//   mul:        out = a * b
//   axpby:      out = alpha * a + beta * b
//   scale:      out = alpha * x
//   accumulate: dst += src
//   relu:       out = max(x, 0);   backward: dx = dy * (y > 0), from the output y
//   add_relu:   out = max(a + b, 0) (the same bits as add, then relu; one pass instead of two)
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

void add_forward_cpu(float* out, const float* a, const float* b, int64_t n);
void mul_forward_cpu(float* out, const float* a, const float* b, int64_t n);
void axpby_cpu(float* out, float alpha, const float* a, float beta, const float* b, int64_t n);
void scale_cpu(float* out, float alpha, const float* x, int64_t n);
void accumulate_cpu(float* dst, const float* src, int64_t n);
void relu_forward_cpu(float* out, const float* x, int64_t n);
void relu_backward_cpu(float* dx, const float* dy, const float* y, int64_t n);
void add_relu_forward_cpu(float* out, const float* a, const float* b, int64_t n);

void add_forward_cuda(float* out, const float* a, const float* b, int64_t n, cudaStream_t stream);
void mul_forward_cuda(float* out, const float* a, const float* b, int64_t n, cudaStream_t stream);
void axpby_cuda(float* out, float alpha, const float* a, float beta, const float* b, int64_t n,
                cudaStream_t stream);
void scale_cuda(float* out, float alpha, const float* x, int64_t n, cudaStream_t stream);
void accumulate_cuda(float* dst, const float* src, int64_t n, cudaStream_t stream);
void relu_forward_cuda(float* out, const float* x, int64_t n, cudaStream_t stream);
void relu_backward_cuda(float* dx, const float* dy, const float* y, int64_t n, cudaStream_t stream);

}  // namespace learner
