// Patch extraction for patch embeddings (a convolution with kernel = stride = p is a
// reshape plus a GEMM). x is (N, C, H, W); the grid is Hp = H / p by Wp = W / p patches
// (rows and columns past Hp*p, Wp*p are dropped, as the convolution drops them); patches
// are numbered row-major, i * Wp + j, which is timm's flatten(2).transpose(1, 2) order:
//   cols[n, i*Wp + j, (c*p + u)*p + v] = x[n, c, i*p + u, j*p + v]      cols (N, Hp*Wp, C*p*p)
// Backward: the same map read the other way, zero for the dropped pixels. Both overwrite.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

void patchify_forward_cpu(float* cols, const float* x, int64_t N, int64_t C, int64_t H, int64_t W,
                          int64_t p);
// dx (N, C, H, W), dcols (N, Hp*Wp, C*p*p).
void patchify_backward_cpu(float* dx, const float* dcols, int64_t N, int64_t C, int64_t H,
                           int64_t W, int64_t p);

void patchify_forward_cuda(float* cols, const float* x, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t p, cudaStream_t stream);
void patchify_backward_cuda(float* dx, const float* dcols, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t p, cudaStream_t stream);

}  // namespace learner
