// 2-D pooling kernels over (N, C, H, W) f32 tensors, PyTorch semantics (floor mode).
//   max:        y = max over the window's in-bounds cells (padding acts as -inf; a NaN wins);
//               argmax = h * W + w of the first maximum in scan order (rows, then columns).
//               backward: dx[argmax] gets dy, summed over the windows that chose it.
//   avg:        y = (sum over the window's in-bounds cells) / (kernel_h * kernel_w)
//               (count_include_pad = true); backward: dx = sum over windows of dy / (kh * kw).
//   global avg: y[n, c] = mean over H * W; backward: dx = dy / (H * W).
// Window sums run in scan order and backward passes gather per input cell (windows in
// output order; the CPU max backward scatters in output order, which adds the same terms
// in the same order), so CPU and CUDA agree to the bit and nothing uses atomics; the global mean
// sums in double. Every kernel overwrites its outputs.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// Input (N, C, H, W), output (N, C, OH, OW), with OH = (H + 2 * pad_h - kernel_h) / stride_h + 1
// (likewise OW). Callers check pad <= kernel / 2, so every window holds an in-bounds cell.
struct PoolGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t OH = 0, OW = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
};

// y, argmax are (N, C, OH, OW); x is (N, C, H, W).
void maxpool2d_forward_cpu(float* y, int32_t* argmax, const float* x, const PoolGeometry& g);
// dx is (N, C, H, W); dy, argmax are (N, C, OH, OW).
void maxpool2d_backward_cpu(float* dx, const float* dy, const int32_t* argmax,
                            const PoolGeometry& g);
// y is (N, C, OH, OW); x is (N, C, H, W).
void avgpool2d_forward_cpu(float* y, const float* x, const PoolGeometry& g);
// dx is (N, C, H, W); dy is (N, C, OH, OW).
void avgpool2d_backward_cpu(float* dx, const float* dy, const PoolGeometry& g);
// y is (N, C); x is (N, C, H, W) with NC = N * C, HW = H * W.
void global_avgpool2d_forward_cpu(float* y, const float* x, int64_t NC, int64_t HW);
// dx is (N, C, H, W); dy is (N, C).
void global_avgpool2d_backward_cpu(float* dx, const float* dy, int64_t NC, int64_t HW);

void maxpool2d_forward_cuda(float* y, int32_t* argmax, const float* x, const PoolGeometry& g,
                            cudaStream_t stream);
void maxpool2d_backward_cuda(float* dx, const float* dy, const int32_t* argmax,
                             const PoolGeometry& g, cudaStream_t stream);
void avgpool2d_forward_cuda(float* y, const float* x, const PoolGeometry& g, cudaStream_t stream);
void avgpool2d_backward_cuda(float* dx, const float* dy, const PoolGeometry& g,
                             cudaStream_t stream);
void global_avgpool2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t HW,
                                   cudaStream_t stream);
void global_avgpool2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t HW,
                                    cudaStream_t stream);

}  // namespace learner
