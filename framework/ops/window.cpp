// Swin's map moves from the shape ops; window.h says what each computes.
#include "framework/ops/window.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/shape.h"

namespace learner {

Tensor roll(const Tensor& x, int dim, int64_t shift) {
  LEARNER_NVTX_RANGE("roll");
  check_defined(x, "roll", "x");
  const int d = dim < 0 ? dim + x.dim() : dim;
  LEARNER_CHECK(0 <= d && d < x.dim(), "roll: dimension ", dim, " is out of range for ", x.describe());
  const int64_t n = x.size(d);
  if (n == 0) return x;
  const int64_t s = ((shift % n) + n) % n;  // torch.roll's shift, taken modulo the size
  if (s == 0) return x;
  // The last s entries move to the front.
  return concat({slice(x, d, n - s, n), slice(x, d, 0, n - s)}, d);
}

Tensor pad_end(const Tensor& x, int dim, int64_t amount) {
  check_defined(x, "pad_end", "x");
  const int d = dim < 0 ? dim + x.dim() : dim;
  LEARNER_CHECK(0 <= d && d < x.dim(), "pad_end: dimension ", dim, " is out of range for ", x.describe());
  LEARNER_CHECK(amount >= 0, "pad_end: amount must not be negative, got ", amount);
  if (amount == 0) return x;
  LEARNER_NVTX_RANGE("pad_end");
  Shape zeros_shape = x.shape();
  zeros_shape[d] = amount;
  return concat({x, Tensor::zeros(zeros_shape, x.dtype(), x.device())}, d);
}

Tensor window_partition(const Tensor& x, int64_t wh, int64_t ww) {
  LEARNER_NVTX_RANGE("window_partition");
  check_rank(x, 4, "window_partition", "x");
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  LEARNER_CHECK(wh > 0 && ww > 0 && H % wh == 0 && W % ww == 0, "window_partition: a ", H, " x ", W,
                " map does not split into ", wh, " x ", ww, " windows (pad it first)");
  const Tensor blocks = permute(reshape(x, {B, H / wh, wh, W / ww, ww, C}), {0, 1, 3, 2, 4, 5});
  return reshape(blocks, {B * (H / wh) * (W / ww), wh * ww, C});
}

Tensor window_merge(const Tensor& windows, int64_t B, int64_t H, int64_t W, int64_t wh, int64_t ww) {
  LEARNER_NVTX_RANGE("window_merge");
  check_rank(windows, 3, "window_merge", "windows");
  LEARNER_CHECK(wh > 0 && ww > 0 && H % wh == 0 && W % ww == 0 && windows.size(0) == B * (H / wh) * (W / ww) &&
                    windows.size(1) == wh * ww,
                "window_merge: ", windows.describe(), " are not the ", wh, " x ", ww, " windows of ", B, " maps of ",
                H, " x ", W);
  const int64_t C = windows.size(2);
  const Tensor blocks = permute(reshape(windows, {B, H / wh, W / ww, wh, ww, C}), {0, 1, 3, 2, 4, 5});
  return reshape(blocks, {B, H, W, C});
}

}  // namespace learner
