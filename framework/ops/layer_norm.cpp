// The LayerNorm op: checks, NVTX range, dispatch; the backward reuses the saved row
// mean and reciprocal standard deviation.
#include "framework/ops/layer_norm.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "kernels/layer_norm.h"

namespace learner {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  LEARNER_NVTX_RANGE("layer_norm");
  check_dtype(x, DType::F32, "layer_norm", "x");
  check_dtype(weight, DType::F32, "layer_norm", "weight");
  check_dtype(bias, DType::F32, "layer_norm", "bias");
  check_same_device(x, weight, "layer_norm");
  check_same_device(x, bias, "layer_norm");
  LEARNER_CHECK(x.dim() >= 1, "layer_norm: x ", x.describe(), " has no feature dimension");
  const int64_t D = x.size(x.dim() - 1), N = D == 0 ? 0 : x.numel() / D;
  LEARNER_CHECK(weight.shape() == Shape{D} && bias.shape() == Shape{D}, "layer_norm: weight ",
                weight.describe(), " and bias ", bias.describe(), " must be [", D,
                "], the last dimension of x ", x.describe());
  const Device device = x.device();
  Tensor y = Tensor::empty(x.shape(), DType::F32, device);
  Tensor mean = Tensor::empty({N}, DType::F32, device), rstd = Tensor::empty({N}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("layer_norm",
                      layer_norm_forward_cuda(y.data<float>(), mean.data<float>(), rstd.data<float>(),
                                              x.data<float>(), weight.data<float>(),
                                              bias.data<float>(), N, D, eps, stream_for(device)));
  } else {
    layer_norm_forward_cpu(y.data<float>(), mean.data<float>(), rstd.data<float>(), x.data<float>(),
                           weight.data<float>(), bias.data<float>(), N, D, eps);
  }
  const bool keep = needs_graph({x, weight, bias});
  Tensor x_saved = keep ? x.detach() : Tensor(), w_saved = keep ? weight.detach() : Tensor();
  return record(y, "layer_norm", {x, weight, bias},
                [x_saved, w_saved, mean, rstd, N, D](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("layer_norm_backward");
                  const Device dev = g.device();
                  Tensor dx = Tensor::empty(x_saved.shape(), DType::F32, dev);
                  Tensor dw = needs[1] ? Tensor::empty({D}, DType::F32, dev) : Tensor();
                  Tensor db = needs[2] ? Tensor::empty({D}, DType::F32, dev) : Tensor();
                  float* dw_ptr = needs[1] ? dw.data<float>() : nullptr;
                  float* db_ptr = needs[2] ? db.data<float>() : nullptr;
                  if (dev.is_cuda()) {
                    LEARNER_CUDA_CALL("layer_norm_backward",
                                      layer_norm_backward_cuda(dx.data<float>(), dw_ptr, db_ptr,
                                                               g.data<float>(), x_saved.data<float>(),
                                                               mean.data<float>(), rstd.data<float>(),
                                                               w_saved.data<float>(), N, D,
                                                               stream_for(dev)));
                  } else {
                    layer_norm_backward_cpu(dx.data<float>(), dw_ptr, db_ptr, g.data<float>(),
                                            x_saved.data<float>(), mean.data<float>(),
                                            rstd.data<float>(), w_saved.data<float>(), N, D);
                  }
                  return std::vector<Tensor>{needs[0] ? dx : Tensor(), dw, db};
                });
}

}  // namespace learner
