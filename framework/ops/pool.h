// Pooling over (N, C, H, W) f32 tensors, PyTorch semantics: padding is -inf for max pool;
// avg pool counts padded cells (count_include_pad = true, PyTorch's default).
#pragma once

#include "framework/tensor.h"

namespace learner {

struct Pool2dParams {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;
};

Tensor max_pool2d(const Tensor& x, const Pool2dParams& params);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& params);
Tensor global_avg_pool2d(const Tensor& x);  // (N, C, H, W) -> (N, C)

}  // namespace learner
