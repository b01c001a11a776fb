// Tubelet extraction for VideoMAE's patch embedding: Conv3d(C, D, (tt, p, p), stride
// (tt, p, p)) over a clip's (C, T, H, W) is a reshape plus a GEMM, as patchify.h is for 2-D.
// x holds B clips of T frames each, frames contiguous: (B*T, C, H, W), i.e. (B, T, C, H, W).
// The grid is Tt = T / tt by Hp = H / p by Wp = W / p (rows and columns past Hp*p, Wp*p are
// dropped, as the convolution drops them; T is a multiple of tt); tubelets are numbered
// time-major, (s * Hp + i) * Wp + j, which is Conv3d(x).flatten(2).transpose(1, 2) on
// (B, C, T, H, W); a row's values are ordered as the Conv3d weight (C, tt, p, p):
//   cols[b, (s*Hp + i)*Wp + j, ((c*tt + dt)*p + u)*p + v] = x[b*T + s*tt + dt, c, i*p + u, j*p + v]
// Backward: the same map read the other way, zero for the dropped pixels. Both overwrite.
#pragma once

#include <cstdint>

#include "base/host_device.h"
#include "base/stream.h"

namespace learner {

struct TubeletShape {
  int64_t B, T, C, H, W;  // x is (B*T, C, H, W)
  int64_t tt, p;          // tubelet size in time and space
  LEARNER_HD int64_t tubelets() const { return (T / tt) * (H / p) * (W / p); }
  LEARNER_HD int64_t row() const { return C * tt * p * p; }
};

// cols (B, tubelets, C*tt*p*p).
void tubelet_forward_cpu(float* cols, const float* x, const TubeletShape& s);
// dx (B*T, C, H, W) from dcols.
void tubelet_backward_cpu(float* dx, const float* dcols, const TubeletShape& s);

void tubelet_forward_cuda(float* cols, const float* x, const TubeletShape& s, cudaStream_t stream);
void tubelet_backward_cuda(float* dx, const float* dcols, const TubeletShape& s, cudaStream_t stream);

}  // namespace learner
