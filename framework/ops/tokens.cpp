// The token ops: shape checks, dispatch and their backward closures.
#include "framework/ops/tokens.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "kernels/tokens.h"

namespace learner {

Tensor prepend_token(const Tensor& x, const Tensor& token) {
  LEARNER_NVTX_RANGE("prepend_token");
  check_dtype(x, DType::F32, "prepend_token", "x");
  check_dtype(token, DType::F32, "prepend_token", "token");
  check_rank(x, 3, "prepend_token", "x");
  check_same_device(x, token, "prepend_token");
  const int64_t B = x.size(0), N = x.size(1), D = x.size(2);
  LEARNER_CHECK(token.numel() == D, "prepend_token: token ", token.describe(), " must hold ", D,
                " values, the feature width of x ", x.describe());
  const Device device = x.device();
  Tensor out = Tensor::empty({B, N + 1, D}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("prepend_token",
                      prepend_token_forward_cuda(out.data<float>(), x.data<float>(),
                                                 token.data<float>(), B, N, D, stream_for(device)));
  } else {
    prepend_token_forward_cpu(out.data<float>(), x.data<float>(), token.data<float>(), B, N, D);
  }
  const Shape token_shape = token.shape();
  return record(out, "prepend_token", {x, token},
                [B, N, D, token_shape](const Tensor& g, const NeedsGrad& needs) {
                  LEARNER_NVTX_RANGE("prepend_token_backward");
                  const Device dev = g.device();
                  Tensor dx = needs[0] ? Tensor::empty({B, N, D}, DType::F32, dev) : Tensor();
                  Tensor dt = needs[1] ? Tensor::empty(token_shape, DType::F32, dev) : Tensor();
                  float* dx_ptr = needs[0] ? dx.data<float>() : nullptr;
                  float* dt_ptr = needs[1] ? dt.data<float>() : nullptr;
                  if (dev.is_cuda()) {
                    LEARNER_CUDA_CALL("prepend_token_backward",
                                      prepend_token_backward_cuda(dx_ptr, dt_ptr, g.data<float>(), B,
                                                                  N, D, stream_for(dev)));
                  } else {
                    prepend_token_backward_cpu(dx_ptr, dt_ptr, g.data<float>(), B, N, D);
                  }
                  return std::vector<Tensor>{dx, dt};
                });
}

Tensor add_broadcast(const Tensor& x, const Tensor& p) {
  LEARNER_NVTX_RANGE("add_broadcast");
  check_dtype(x, DType::F32, "add_broadcast", "x");
  check_dtype(p, DType::F32, "add_broadcast", "p");
  check_same_device(x, p, "add_broadcast");
  // p's shape without its leading 1s must be x's trailing shape.
  int lead = 0;
  while (lead < p.dim() && p.size(lead) == 1 && p.dim() - lead > 0) ++lead;
  const int tail = p.dim() - lead;
  bool trailing = tail <= x.dim();
  for (int d = 0; trailing && d < tail; ++d)
    trailing = p.size(p.dim() - 1 - d) == x.size(x.dim() - 1 - d);
  LEARNER_CHECK(trailing && p.dim() <= x.dim() + lead, "add_broadcast: p ", p.describe(),
                " must have the shape of the last dimensions of x ", x.describe(),
                " (leading 1s allowed)");
  const int64_t M = p.numel(), Q = M == 0 ? 0 : x.numel() / M;
  const Device device = x.device();
  Tensor out = Tensor::empty(x.shape(), DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("add_broadcast", add_broadcast_forward_cuda(out.data<float>(), x.data<float>(),
                                                                  p.data<float>(), Q, M,
                                                                  stream_for(device)));
  } else {
    add_broadcast_forward_cpu(out.data<float>(), x.data<float>(), p.data<float>(), Q, M);
  }
  const Shape p_shape = p.shape();
  return record(out, "add_broadcast", {x, p}, [Q, M, p_shape](const Tensor& g, const NeedsGrad& needs) {
    LEARNER_NVTX_RANGE("add_broadcast_backward");
    Tensor dp;
    if (needs[1]) dp = reshape(sum(reshape(g, {Q, M}), 0), p_shape);
    return std::vector<Tensor>{needs[0] ? g : Tensor(), dp};
  });
}

}  // namespace learner
