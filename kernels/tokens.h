// Token-sequence kernels of the transformer encoders, on (B, N, D) token blocks:
//   prepend_token:  out[b, 0, :] = token, out[b, 1 + n, :] = x[b, n, :]     (the cls token)
//     backward:     dx[b, n, :] = dy[b, 1 + n, :],  dtoken = sum_b dy[b, 0, :]
//   add_broadcast:  out[q, m] = x[q, m] + p[m] for x (Q, M), p (M)        (position embedding)
//     backward:     dx = dy, dp = sum_q dy[q, :] (reduce.h's sum_axis)
// Everything overwrites its outputs; dtoken sums b ascending (double on the CPU).
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// out (B, N+1, D), x (B, N, D), token (D).
void prepend_token_forward_cpu(float* out, const float* x, const float* token, int64_t B,
                               int64_t N, int64_t D);
// dx (B, N, D) or null, dtoken (D) or null, dy (B, N+1, D).
void prepend_token_backward_cpu(float* dx, float* dtoken, const float* dy, int64_t B, int64_t N,
                                int64_t D);
// out, x (Q, M), p (M).
void add_broadcast_forward_cpu(float* out, const float* x, const float* p, int64_t Q, int64_t M);

void prepend_token_forward_cuda(float* out, const float* x, const float* token, int64_t B,
                                int64_t N, int64_t D, cudaStream_t stream);
void prepend_token_backward_cuda(float* dx, float* dtoken, const float* dy, int64_t B, int64_t N,
                                 int64_t D, cudaStream_t stream);
void add_broadcast_forward_cuda(float* out, const float* x, const float* p, int64_t Q, int64_t M,
                                cudaStream_t stream);

}  // namespace learner
