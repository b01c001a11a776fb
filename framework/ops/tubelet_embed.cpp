// tubelet_embed = tubelet extraction (its own node, backward = the inverse scatter) + linear.
#include "framework/ops/tubelet_embed.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/linear.h"
#include "framework/ops/shape.h"
#include "kernels/tubelet.h"

namespace learner {

namespace {

// x (B*T, C, H, W) -> (B * tubelets, C * tt * p * p).
Tensor tubelets(const Tensor& x, const TubeletShape& s) {
  const Device device = x.device();
  Tensor cols = Tensor::empty({s.B * s.tubelets(), s.row()}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("tubelet", tubelet_forward_cuda(cols.data<float>(), x.data<float>(), s, stream_for(device)));
  } else {
    tubelet_forward_cpu(cols.data<float>(), x.data<float>(), s);
  }
  return record(cols, "tubelet", {x}, [s](const Tensor& g, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("tubelet_backward");
    Tensor dx = Tensor::empty({s.B * s.T, s.C, s.H, s.W}, DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("tubelet_backward",
                        tubelet_backward_cuda(dx.data<float>(), g.data<float>(), s, stream_for(g.device())));
    } else {
      tubelet_backward_cpu(dx.data<float>(), g.data<float>(), s);
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace

Tensor tubelet_embed(const Tensor& x, int64_t frames, const Tensor& weight, const Tensor& bias) {
  LEARNER_NVTX_RANGE("tubelet_embed");
  check_dtype(x, DType::F32, "tubelet_embed", "x");
  check_rank(x, 4, "tubelet_embed", "x");
  check_rank(weight, 5, "tubelet_embed", "weight");
  const int64_t D = weight.size(0), tt = weight.size(2), p = weight.size(3);
  LEARNER_CHECK(weight.size(1) == x.size(1) && weight.size(4) == p && tt > 0 && p > 0, "tubelet_embed: weight ",
                weight.describe(), " must be (D, C, tt, p, p) with C = ", x.size(1), " for x ", x.describe());
  LEARNER_CHECK(frames > 0 && x.size(0) % frames == 0, "tubelet_embed: ", x.size(0),
                " frames do not form clips of ", frames, " frames (x ", x.describe(), ")");
  LEARNER_CHECK(frames % tt == 0, "tubelet_embed: clips of ", frames, " frames do not split into tubelets of ", tt,
                " frames; use a multiple of ", tt, " (--frames)");
  LEARNER_CHECK(x.size(2) >= p && x.size(3) >= p, "tubelet_embed: frames ", x.describe(), " are smaller than one ",
                p, " x ", p, " patch");
  const TubeletShape s{x.size(0) / frames, frames, x.size(1), x.size(2), x.size(3), tt, p};
  const Tensor tokens = linear(tubelets(x, s), reshape(weight, {D, s.row()}), bias);
  return reshape(tokens, {s.B, s.tubelets(), D});
}

}  // namespace learner
