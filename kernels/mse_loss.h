// Mean squared error over n elements: loss = (1/n) * sum_i (p_i - t_i)^2.
//   forward:  loss[0] = (1/n) * sum_i (p[i] - t[i])^2
//   backward: dp[i] = dloss * 2/n * (p[i] - t[i]),  dt[i] = -dp[i]
// dloss is a one-element buffer on the same device; dp or dt may be null (not needed).
// Kernels overwrite their outputs.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// loss is (1); p, t are (n). The CPU sum runs in double, i ascending; the CUDA one writes the
// squares into workspace and sums them with kernels/reduce's fixed tree (sum_axis_cuda).
void mse_forward_cpu(float* loss, const float* p, const float* t, int64_t n);
void mse_backward_cpu(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                      int64_t n);

// Floats of scratch that mse_forward_cuda needs: the n squares, then the sum's own scratch.
int64_t mse_forward_cuda_workspace(int64_t n);
void mse_forward_cuda(float* loss, float* workspace, const float* p, const float* t, int64_t n,
                      cudaStream_t stream);
void mse_backward_cuda(float* dp, float* dt, const float* dloss, const float* p, const float* t,
                       int64_t n, cudaStream_t stream);

}  // namespace learner
