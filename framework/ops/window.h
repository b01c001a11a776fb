// Swin's moves on (B, H, W, C) maps (SPEC section 4b, "swin"), as compositions of the shape ops
// (slice, concat, reshape, permute), so each runs on the CPU or CUDA with the backward of the
// ops it is made of:
//   roll             torch.roll(x, shift, dim): out[i] = x[(i - shift) mod n] along dim
//   pad_end          zeros appended along dim (torch.nn.functional.pad on the far side)
//   window_partition (B, H, W, C) -> (B * H/wh * W/ww, wh * ww, C), windows row-major, tokens
//                    row-major inside each window (timm's window_partition)
//   window_merge     the inverse (timm's window_reverse)
#pragma once

#include "framework/tensor.h"

namespace learner {

Tensor roll(const Tensor& x, int dim, int64_t shift);
Tensor pad_end(const Tensor& x, int dim, int64_t amount);
// H % wh == 0 and W % ww == 0 (pad first).
Tensor window_partition(const Tensor& x, int64_t wh, int64_t ww);
// windows (B * H/wh * W/ww, wh * ww, C) -> (B, H, W, C).
Tensor window_merge(const Tensor& windows, int64_t B, int64_t H, int64_t W, int64_t wh, int64_t ww);

}  // namespace learner
