// conv2d: argument checks, device dispatch, and the backward closure.
#include "framework/ops/conv.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/conv2d.h"

namespace learner {

namespace {

// Checks every argument and returns the geometry of the convolution.
Conv2dGeometry checked_geometry(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const Conv2dParams& p) {
  const char* op = "conv2d";
  check_dtype(x, DType::F32, op, "x");
  check_rank(x, 4, op, "x");
  check_dtype(weight, DType::F32, op, "weight");
  check_rank(weight, 4, op, "weight");
  check_same_device(x, weight, op);
  LEARNER_CHECK(x.size(1) == weight.size(1), "conv2d: x has ", x.size(1),
                " channels but weight expects ", weight.size(1), " (x ", x.describe(), ", weight ",
                weight.describe(), "; weight is (out, in, kh, kw))");
  if (bias.defined()) {
    check_dtype(bias, DType::F32, op, "bias");
    check_rank(bias, 1, op, "bias");
    check_same_device(x, bias, op);
    LEARNER_CHECK(bias.size(0) == weight.size(0), "conv2d: bias has ", bias.size(0),
                  " values but weight has ", weight.size(0), " output channels (bias ",
                  bias.describe(), ", weight ", weight.describe(), ")");
  }
  LEARNER_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1 &&
                    p.pad_h >= 0 && p.pad_w >= 0,
                "conv2d: stride and dilation must be >= 1 and padding >= 0, got stride (",
                p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ", p.pad_w,
                "), dilation (", p.dilation_h, ", ", p.dilation_w, ")");
  LEARNER_CHECK(x.numel() > 0 && weight.numel() > 0, "conv2d: empty input (x ", x.describe(),
                ", weight ", weight.describe(), ")");

  Conv2dGeometry g;
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.K = weight.size(0), g.R = weight.size(2), g.S = weight.size(3);
  g.stride_h = p.stride_h, g.stride_w = p.stride_w;
  g.pad_h = p.pad_h, g.pad_w = p.pad_w;
  g.dilation_h = p.dilation_h, g.dilation_w = p.dilation_w;
  g.P = conv2d_output_size(g.H, g.R, p.stride_h, p.pad_h, p.dilation_h);
  g.Q = conv2d_output_size(g.W, g.S, p.stride_w, p.pad_w, p.dilation_w);
  LEARNER_CHECK(g.P > 0 && g.Q > 0, "conv2d: the output would be empty: input ", g.H, "x", g.W,
                " (x ", x.describe(), ") with kernel ", g.R, "x", g.S, ", padding (", p.pad_h,
                ", ", p.pad_w, ") and dilation (", p.dilation_h, ", ", p.dilation_w,
                "); the dilated kernel must fit in the padded input");
  return g;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params) {
  LEARNER_NVTX_RANGE("conv2d");
  const Conv2dGeometry g = checked_geometry(x, weight, bias, params);
  const Device device = x.device();
  Tensor y = Tensor::empty({g.N, g.K, g.P, g.Q}, DType::F32, device);
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("conv2d", conv2d_forward_cuda(y.data<float>(), x.data<float>(),
                                                    weight.data<float>(), b, g,
                                                    stream_for(device)));
  } else {
    conv2d_forward_cpu(y.data<float>(), x.data<float>(), weight.data<float>(), b, g);
  }

  // dx needs only the weight and dw only x: keep just what a later backward can use.
  const bool keep = needs_graph({x, weight, bias});
  Tensor x_saved = keep && weight.requires_grad() ? x.detach() : Tensor();
  Tensor w_saved = keep && x.requires_grad() ? weight.detach() : Tensor();
  return record(y, "conv2d", {x, weight, bias},
                [x_saved, w_saved, g](const Tensor& dy, const NeedsGrad& needs) {
    LEARNER_NVTX_RANGE("conv2d_backward");
    const Device dev = dy.device();
    Tensor dx = needs[0] ? Tensor::empty({g.N, g.C, g.H, g.W}, DType::F32, dev) : Tensor();
    Tensor dw = needs[1] ? Tensor::empty({g.K, g.C, g.R, g.S}, DType::F32, dev) : Tensor();
    Tensor db = needs[2] ? Tensor::empty({g.K}, DType::F32, dev) : Tensor();
    float* dx_p = needs[0] ? dx.data<float>() : nullptr;
    float* dw_p = needs[1] ? dw.data<float>() : nullptr;
    float* db_p = needs[2] ? db.data<float>() : nullptr;
    const float* x_p = needs[1] ? x_saved.data<float>() : nullptr;
    const float* w_p = needs[0] ? w_saved.data<float>() : nullptr;
    if (dev.is_cuda()) {
      LEARNER_CUDA_CALL("conv2d_backward", conv2d_backward_cuda(dx_p, dw_p, db_p, dy.data<float>(),
                                                                x_p, w_p, g,
                                                                stream_for(dev)));
    } else {
      conv2d_backward_cpu(dx_p, dw_p, db_p, dy.data<float>(), x_p, w_p, g);
    }
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace learner
