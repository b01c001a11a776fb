// The GELU op: dispatch, and a backward from the saved input.
#include "framework/ops/gelu.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "kernels/gelu.h"

namespace learner {

Tensor gelu(const Tensor& x) {
  LEARNER_NVTX_RANGE("gelu");
  check_dtype(x, DType::F32, "gelu", "x");
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  if (x.device().is_cuda()) {
    LEARNER_CUDA_CALL("gelu", gelu_forward_cuda(y.data<float>(), x.data<float>(), x.numel(),
                                                stream_for(x.device())));
  } else {
    (gelu_cpu_fast() ? gelu_forward_fast_cpu : gelu_forward_cpu)(y.data<float>(), x.data<float>(), x.numel());
  }
  Tensor x_saved = needs_graph({x}) ? x.detach() : Tensor();
  return record(y, "gelu", {x}, [x_saved](const Tensor& g, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("gelu_backward");
    Tensor dx = Tensor::empty(g.shape(), DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("gelu_backward",
                        gelu_backward_cuda(dx.data<float>(), g.data<float>(), x_saved.data<float>(),
                                           g.numel(), stream_for(g.device())));
    } else {
      (gelu_cpu_fast() ? gelu_backward_fast_cpu : gelu_backward_cpu)(dx.data<float>(), g.data<float>(),
                                                                      x_saved.data<float>(), g.numel());
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace learner
