// log-softmax over the last axis of (N, K) logits, and the cross-entropy built on it.
//   log_softmax: y[n, k] = x[n, k] - m_n - log(sum_j exp(x[n, j] - m_n)),  m_n = max_j x[n, j]
//                (subtracting the row max keeps exp from overflowing)
//   backward:    dx[n, k] = dy[n, k] - exp(y[n, k]) * sum_j dy[n, j]
//   nll_pick:    picked[n] = logp[n, target[n]]        (the loss is -mean(picked))
//   cross_entropy backward, fused: dx[n, k] = dloss * (exp(logp[n, k]) - [k == target[n]]) / N,
//                with dloss read from a one-element buffer on the same device.
// Targets are i64 and must already lie in [0, K). Kernels overwrite their outputs.
// CPU row sums run in double; CUDA uses one warp per row with a fixed shuffle tree.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// y, x, dx, dy, logp are (N, K); target and picked are (N); dloss is (1).
void log_softmax_forward_cpu(float* y, const float* x, int64_t n, int64_t k);
void log_softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t n, int64_t k);
void nll_pick_cpu(float* picked, const float* logp, const int64_t* target, int64_t n, int64_t k);
void cross_entropy_backward_cpu(float* dx, const float* dloss, const float* logp,
                                const int64_t* target, int64_t n, int64_t k);

void log_softmax_forward_cuda(float* y, const float* x, int64_t n, int64_t k, cudaStream_t stream);
void log_softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t n, int64_t k,
                               cudaStream_t stream);
void nll_pick_cuda(float* picked, const float* logp, const int64_t* target, int64_t n, int64_t k,
                   cudaStream_t stream);
void cross_entropy_backward_cuda(float* dx, const float* dloss, const float* logp,
                                 const int64_t* target, int64_t n, int64_t k, cudaStream_t stream);

}  // namespace learner
