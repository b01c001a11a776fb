// 2-D convolution (cross-correlation, as PyTorch): im2col + sgemm on the CPU, cuDNN on
// CUDA with algorithm selection, a cached workspace and a deterministic mode.
#pragma once

#include "framework/tensor.h"

namespace learner {

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
};

// x is (N, C, H, W), weight is (K, C, R, S), bias is (K) or undefined -> (N, K, P, Q) with
// P = (H + 2*pad_h - dilation_h*(R-1) - 1) / stride_h + 1, and Q likewise.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params);

}  // namespace learner
