// The softmax op: the bias's shape decides how it repeats; the backward works from the
// saved output, and the bias gradient is the input gradient summed over the repeats.
#include "framework/ops/softmax.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "kernels/softmax.h"

namespace learner {

Tensor softmax(const Tensor& x, const Tensor& bias) {
  LEARNER_NVTX_RANGE("softmax");
  check_dtype(x, DType::F32, "softmax", "x");
  LEARNER_CHECK(x.dim() >= 1, "softmax: x ", x.describe(), " has no last dimension");
  const int64_t L = x.size(x.dim() - 1);
  const bool has_bias = bias.defined();
  int64_t P = L == 0 ? 0 : x.numel() / L, Q = 1;
  if (has_bias) {
    check_dtype(bias, DType::F32, "softmax", "bias");
    check_same_device(x, bias, "softmax");
    bool trailing = bias.dim() >= 1 && bias.dim() <= x.dim();
    for (int d = 0; trailing && d < bias.dim(); ++d)
      trailing = bias.size(bias.dim() - 1 - d) == x.size(x.dim() - 1 - d);
    LEARNER_CHECK(trailing, "softmax: bias ", bias.describe(),
                  " must have the shape of the last dimensions of x ", x.describe());
    P = L == 0 ? 0 : bias.numel() / L;
    Q = P == 0 ? 0 : x.numel() / (P * L);
  }
  const Device device = x.device();
  Tensor y = Tensor::empty(x.shape(), DType::F32, device);
  const float* b = has_bias ? bias.data<float>() : nullptr;
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("softmax", softmax_forward_cuda(y.data<float>(), x.data<float>(), b, Q, P, L,
                                                      stream_for(device)));
  } else {
    softmax_forward_cpu(y.data<float>(), x.data<float>(), b, Q, P, L);
  }
  Tensor y_saved = needs_graph({x, bias}) ? y.detach() : Tensor();
  const Shape bias_shape = has_bias ? bias.shape() : Shape{};
  return record(y, "softmax", {x, bias},
                [y_saved, bias_shape, Q, P, L](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("softmax_backward");
                  Tensor dz = Tensor::empty(g.shape(), DType::F32, g.device());
                  if (g.device().is_cuda()) {
                    LEARNER_CUDA_CALL("softmax_backward",
                                      softmax_backward_cuda(dz.data<float>(), g.data<float>(),
                                                            y_saved.data<float>(), Q * P, L,
                                                            stream_for(g.device())));
                  } else {
                    softmax_backward_cpu(dz.data<float>(), g.data<float>(), y_saved.data<float>(),
                                         Q * P, L);
                  }
                  Tensor dbias;
                  if (needs.size() > 1 && needs[1])
                    dbias = reshape(sum(reshape(dz, {Q, P * L}), 0), bias_shape);
                  return std::vector<Tensor>{needs[0] ? dz : Tensor(), dbias};
                });
}

}  // namespace learner
