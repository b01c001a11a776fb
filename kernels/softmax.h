// Row softmax over the last dimension with an optional additive bias (attention's relative
// position bias and masks). x is Q blocks of P rows of L values, (Q, P, L) flat, and the
// bias (P, L) repeats over the Q blocks:
//   z_qpl = x_qpl + bias_pl,   y_qpl = exp(z_qpl - max_l z_qp.) / sum_l exp(z_qpl - max_l z_qp.)
// A row whose z is -inf everywhere (fully masked) gives zeros, not NaN.
// Backward from the output: dz_qpl = y_qpl (dy_qpl - sum_l dy_qpl y_qpl); dx = dz and
// dbias_pl = sum_q dz_qpl (that reduction is the caller's, with sum_axis).
// Both overwrite their output; the CPU sums in double, CUDA one warp per row along a fixed tree.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// y, x (Q*P, L) rows; bias (P, L) or null.
void softmax_forward_cpu(float* y, const float* x, const float* bias, int64_t Q, int64_t P,
                         int64_t L);
// dx, dy, y (rows, L).
void softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t rows, int64_t L);

void softmax_forward_cuda(float* y, const float* x, const float* bias, int64_t Q, int64_t P,
                          int64_t L, cudaStream_t stream);
void softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t rows, int64_t L,
                           cudaStream_t stream);

}  // namespace learner
