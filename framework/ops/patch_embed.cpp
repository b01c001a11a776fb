// patch_embed = patchify (its own op, backward = the inverse scatter) + linear.
#include "framework/ops/patch_embed.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/linear.h"
#include "framework/ops/shape.h"
#include "kernels/patchify.h"

namespace learner {

namespace {

// x (N, C, H, W) -> (N * Hp * Wp, C * p * p).
Tensor patchify(const Tensor& x, int64_t p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t rows = N * (H / p) * (W / p), K = C * p * p;
  const Device device = x.device();
  Tensor cols = Tensor::empty({rows, K}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("patchify", patchify_forward_cuda(cols.data<float>(), x.data<float>(), N, C,
                                                        H, W, p, stream_for(device)));
  } else {
    patchify_forward_cpu(cols.data<float>(), x.data<float>(), N, C, H, W, p);
  }
  return record(cols, "patchify", {x}, [N, C, H, W, p](const Tensor& g, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("patchify_backward");
    Tensor dx = Tensor::empty({N, C, H, W}, DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("patchify_backward",
                        patchify_backward_cuda(dx.data<float>(), g.data<float>(), N, C, H, W, p,
                                               stream_for(g.device())));
    } else {
      patchify_backward_cpu(dx.data<float>(), g.data<float>(), N, C, H, W, p);
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace

Tensor patch_embed(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  LEARNER_NVTX_RANGE("patch_embed");
  check_dtype(x, DType::F32, "patch_embed", "x");
  check_rank(x, 4, "patch_embed", "x");
  check_rank(weight, 4, "patch_embed", "weight");
  const int64_t D = weight.size(0), p = weight.size(2);
  LEARNER_CHECK(weight.size(1) == x.size(1) && weight.size(3) == p && p > 0, "patch_embed: weight ",
                weight.describe(), " must be (D, C, p, p) with C = ", x.size(1), " for x ",
                x.describe());
  LEARNER_CHECK(x.size(2) >= p && x.size(3) >= p, "patch_embed: frames ", x.describe(),
                " are smaller than one ", p, " x ", p, " patch");
  const int64_t L = (x.size(2) / p) * (x.size(3) / p);
  const Tensor tokens = linear(patchify(x, p), reshape(weight, {D, x.size(1) * p * p}), bias);
  return reshape(tokens, {x.size(0), L, D});
}

}  // namespace learner
