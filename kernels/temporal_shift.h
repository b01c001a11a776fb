// Temporal shift (TSM, SPEC.md section 4) on a batch laid out (B*T, C, H, W), frames of a
// clip contiguous. Both directions overwrite `out`; nothing here accumulates.
//
// With fold channels per shifted group (fold = C / fold_div, chosen by the caller) and t in 0..T-1:
//   forward:  out[t, c] = x[t+1, c]  for c in [0, fold)        (zero at t = T-1)
//             out[t, c] = x[t-1, c]  for c in [fold, 2*fold)   (zero at t = 0)
//             out[t, c] = x[t, c]    otherwise
//   backward: the adjoint, i.e. the opposite shift:
//             dx[t, c] = dy[t-1, c]  for c in [0, fold)        (zero at t = 0)
//             dx[t, c] = dy[t+1, c]  for c in [fold, 2*fold)   (zero at t = T-1)
//             dx[t, c] = dy[t, c]    otherwise
// Seen as flat memory, frame t of a clip is one block of C*H*W floats and each channel group
// is one contiguous run of fold*H*W floats in it, so a shift reads a whole frame-stride away.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// Which CUDA kernel runs the shift. Auto takes Vector4 whenever it applies.
enum class ShiftKernel { Auto, Scalar, Vector4 };

// out, x are (B*T, C, H, W) with HW = H*W; requires 2*fold <= C.
void temporal_shift_forward_cpu(float* out, const float* x, int64_t B, int64_t T, int64_t C,
                                int64_t HW, int64_t fold);
// dx, dy are (B*T, C, H, W).
void temporal_shift_backward_cpu(float* dx, const float* dy, int64_t B, int64_t T, int64_t C,
                                 int64_t HW, int64_t fold);

// True when the float4 kernel applies: both pointers 16-byte aligned, and every float4 stays
// inside one channel group of one frame (C*HW and fold*HW multiples of 4).
bool temporal_shift_vectorizable(const float* out, const float* in, int64_t C, int64_t HW,
                                 int64_t fold);

// `kernel` picks the variant (ops pass Auto; tests and bench force one). Vector4 on arguments
// where temporal_shift_vectorizable is false throws learner::Error.
void temporal_shift_forward_cuda(float* out, const float* x, int64_t B, int64_t T, int64_t C,
                                 int64_t HW, int64_t fold, ShiftKernel kernel, cudaStream_t stream);
void temporal_shift_backward_cuda(float* dx, const float* dy, int64_t B, int64_t T, int64_t C,
                                  int64_t HW, int64_t fold, ShiftKernel kernel,
                                  cudaStream_t stream);

}  // namespace learner
