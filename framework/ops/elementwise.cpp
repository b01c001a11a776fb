// Elementwise ops: device dispatch and their backward closures.
#include "framework/ops/elementwise.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/elementwise.h"

namespace learner {

namespace {

void check_binary(const Tensor& a, const Tensor& b, const char* op) {
  check_dtype(a, DType::F32, op, "a");
  check_dtype(b, DType::F32, op, "b");
  check_same_device(a, b, op);
  check_same_shape(a, b, op);
}

// out = alpha * a + beta * b on a's device.
Tensor axpby(float alpha, const Tensor& a, float beta, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), DType::F32, a.device());
  const int64_t n = a.numel();
  if (a.device().is_cuda()) {
    LEARNER_CUDA_CALL("axpby", axpby_cuda(out.data<float>(), alpha, a.data<float>(), beta,
                                          b.data<float>(), n, stream_for(a.device())));
  } else {
    axpby_cpu(out.data<float>(), alpha, a.data<float>(), beta, b.data<float>(), n);
  }
  return out;
}

Tensor scaled(const Tensor& x, float alpha) {
  Tensor out = Tensor::empty(x.shape(), DType::F32, x.device());
  if (x.device().is_cuda()) {
    LEARNER_CUDA_CALL("mul_scalar", scale_cuda(out.data<float>(), alpha, x.data<float>(),
                                               x.numel(), stream_for(x.device())));
  } else {
    scale_cpu(out.data<float>(), alpha, x.data<float>(), x.numel());
  }
  return out;
}

Tensor product(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), DType::F32, a.device());
  if (a.device().is_cuda()) {
    LEARNER_CUDA_CALL("mul", mul_forward_cuda(out.data<float>(), a.data<float>(), b.data<float>(),
                                              a.numel(), stream_for(a.device())));
  } else {
    mul_forward_cpu(out.data<float>(), a.data<float>(), b.data<float>(), a.numel());
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("add");
  check_binary(a, b, "add");
  Tensor out = Tensor::empty(a.shape(), DType::F32, a.device());
  if (a.device().is_cuda()) {
    LEARNER_CUDA_CALL("add", add_forward_cuda(out.data<float>(), a.data<float>(), b.data<float>(),
                                              a.numel(), stream_for(a.device())));
  } else {
    add_forward_cpu(out.data<float>(), a.data<float>(), b.data<float>(), a.numel());
  }
  return record(out, "add", {a, b}, [](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{g, g};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("sub");
  check_binary(a, b, "sub");
  Tensor out = axpby(1.f, a, -1.f, b);
  return record(out, "sub", {a, b}, [](const Tensor& g, const NeedsGrad& needs) {
    return std::vector<Tensor>{g, needs[1] ? scaled(g, -1.f) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("mul");
  check_binary(a, b, "mul");
  Tensor out = product(a, b);
  const bool keep = needs_graph({a, b});
  Tensor a_saved = keep ? a.detach() : Tensor();
  Tensor b_saved = keep ? b.detach() : Tensor();
  return record(out, "mul", {a, b}, [a_saved, b_saved](const Tensor& g, const NeedsGrad& needs) {
    return std::vector<Tensor>{needs[0] ? product(g, b_saved) : Tensor(),
                               needs[1] ? product(g, a_saved) : Tensor()};
  });
}

Tensor mul_scalar(const Tensor& x, float alpha) {
  LEARNER_NVTX_RANGE("mul_scalar");
  check_dtype(x, DType::F32, "mul_scalar", "x");
  Tensor out = scaled(x, alpha);
  return record(out, "mul_scalar", {x}, [alpha](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{scaled(g, alpha)};
  });
}

Tensor relu(const Tensor& x) {
  LEARNER_NVTX_RANGE("relu");
  check_dtype(x, DType::F32, "relu", "x");
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  const int64_t n = x.numel();
  if (x.device().is_cuda()) {
    LEARNER_CUDA_CALL("relu", relu_forward_cuda(y.data<float>(), x.data<float>(), n,
                                                stream_for(x.device())));
  } else {
    relu_forward_cpu(y.data<float>(), x.data<float>(), n);
  }
  Tensor y_saved = needs_graph({x}) ? y.detach() : Tensor();
  return record(y, "relu", {x}, [y_saved](const Tensor& g, const NeedsGrad&) {
    Tensor dx = Tensor::empty(g.shape(), DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("relu_backward",
                        relu_backward_cuda(dx.data<float>(), g.data<float>(), y_saved.data<float>(),
                                           g.numel(), stream_for(g.device())));
    } else {
      relu_backward_cpu(dx.data<float>(), g.data<float>(), y_saved.data<float>(), g.numel());
    }
    return std::vector<Tensor>{dx};
  });
}

Tensor add_relu(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("add_relu");
  check_binary(a, b, "add_relu");
  Tensor y = Tensor::empty(a.shape(), DType::F32, a.device());
  const int64_t n = a.numel();
  if (a.device().is_cuda()) {
    LEARNER_CUDA_CALL("add_relu", add_forward_cuda(y.data<float>(), a.data<float>(), b.data<float>(), n,
                                                   stream_for(a.device())));
    LEARNER_CUDA_CALL("add_relu", relu_forward_cuda(y.data<float>(), y.data<float>(), n,
                                                    stream_for(a.device())));
  } else {
    add_relu_forward_cpu(y.data<float>(), a.data<float>(), b.data<float>(), n);
  }
  Tensor y_saved = needs_graph({a, b}) ? y.detach() : Tensor();
  return record(y, "add_relu", {a, b}, [y_saved](const Tensor& g, const NeedsGrad&) {
    Tensor d = Tensor::empty(g.shape(), DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("add_relu_backward",
                        relu_backward_cuda(d.data<float>(), g.data<float>(), y_saved.data<float>(),
                                           g.numel(), stream_for(g.device())));
    } else {
      relu_backward_cpu(d.data<float>(), g.data<float>(), y_saved.data<float>(), g.numel());
    }
    return std::vector<Tensor>{d, d};  // d(a + b)/da = d(a + b)/db = 1
  });
}

void add_(Tensor& dst, const Tensor& src) {
  check_binary(dst, src, "add_");
  if (dst.device().is_cuda()) {
    LEARNER_CUDA_CALL("add_", accumulate_cuda(dst.data<float>(), src.data<float>(), dst.numel(),
                                              stream_for(dst.device())));
  } else {
    accumulate_cpu(dst.data<float>(), src.data<float>(), dst.numel());
  }
}

}  // namespace learner
