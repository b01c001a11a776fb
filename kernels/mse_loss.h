// Mean squared error over n elements: loss = (1/n) * sum_i (p_i - t_i)^2.
//   squared_diff: out[i] = (p[i] - t[i])^2          (the CUDA sum then runs in kernels/reduce)
//   backward:     dp[i] = dloss * 2/n * (p[i] - t[i]),  dt[i] = -dp[i]
// dloss is a one-element buffer on the same device; dp or dt may be null (not needed).
// Kernels overwrite their outputs.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// loss is (1); the sum runs in double, i ascending.
void mse_forward_cpu(float* loss, const float* p, const float* t, int64_t n);
void mse_backward_cpu(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                      int64_t n);

void squared_diff_cuda(float* out, const float* p, const float* t, int64_t n, cudaStream_t stream);
void mse_backward_cuda(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                       int64_t n, cudaStream_t stream);

}  // namespace learner
