// Sums over one axis of an f32 tensor viewed as (O, R, I): out[o, i] = scale * sum_r x[o, r, i]
// (O = product of the sizes before the axis, I = product after; a full sum is O = I = 1).
// Deterministic: the CPU accumulates in double, r ascending for each output; CUDA accumulates
// in float along a fixed tree whose shape depends only on (O, R, I), never on timing.
// Kernels overwrite their outputs.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// out is (O, I), x is (O, R, I).
void sum_axis_cpu(float* out, const float* x, int64_t outer, int64_t reduce, int64_t inner,
                  float scale);
// Backward of sum_axis: dx[o, r, i] = scale * dy[o, i]. dx is (O, R, I), dy is (O, I).
void broadcast_axis_cpu(float* dx, const float* dy, int64_t outer, int64_t reduce, int64_t inner,
                        float scale);

// Floats of scratch that sum_axis_cuda needs for these sizes (0 when it needs none).
int64_t sum_axis_cuda_workspace(int64_t outer, int64_t reduce, int64_t inner);
void sum_axis_cuda(float* out, const float* x, int64_t outer, int64_t reduce, int64_t inner,
                   float scale, float* workspace, cudaStream_t stream);
void broadcast_axis_cuda(float* dx, const float* dy, int64_t outer, int64_t reduce, int64_t inner,
                         float scale, cudaStream_t stream);

}  // namespace learner
