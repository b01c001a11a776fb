// linear and matmul on the shared row-major GEMM, with their backward products:
//   y = x W^T + b:  dx = dy W,  dW = dy^T x,  db = sum over rows of dy
//   c = a b:        da = dc b^T,  db = a^T dc
#include "framework/ops/linear.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/reduce.h"
#include "base/runtime.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"

namespace learner {

namespace {

// C = alpha * op(A) op(B) + beta * C on the device of the tensors.
void gemm(const Device& device, Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k,
          const Tensor& a, const Tensor& b, float beta, const Tensor& c) {
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("gemm", gemm_cuda(c.data<float>(), a.data<float>(), b.data<float>(), m, n, k,
                                        ta, tb, 1.f, beta, stream_for(device)));
  } else {
    gemm_cpu(c.data<float>(), a.data<float>(), b.data<float>(), m, n, k, ta, tb, 1.f, beta);
  }
}

// out (N, E) = every row a copy of row (E): the bias, which the GEMM then adds onto.
void fill_rows(const Tensor& out, const Tensor& row) {
  const int64_t rows = out.size(0), cols = out.size(1);
  if (out.device().is_cuda()) {
    LEARNER_CUDA_CALL("linear", broadcast_axis_cuda(out.data<float>(), row.data<float>(), 1, rows,
                                                    cols, 1.f, stream_for(out.device())));
  } else {
    broadcast_axis_cpu(out.data<float>(), row.data<float>(), 1, rows, cols, 1.f);
  }
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  LEARNER_NVTX_RANGE("linear");
  check_dtype(x, DType::F32, "linear", "x");
  check_dtype(weight, DType::F32, "linear", "weight");
  check_rank(x, 2, "linear", "x");
  check_rank(weight, 2, "linear", "weight");
  check_same_device(x, weight, "linear");
  const int64_t n = x.size(0), in = x.size(1), out_features = weight.size(0);
  LEARNER_CHECK(weight.size(1) == in, "linear: x ", x.describe(), " has ", in,
                " features but weight ", weight.describe(), " expects ", weight.size(1),
                " (weight is (out, in))");
  const bool has_bias = bias.defined();
  if (has_bias) {
    check_dtype(bias, DType::F32, "linear", "bias");
    check_same_device(x, bias, "linear");
    LEARNER_CHECK(bias.shape() == Shape{out_features}, "linear: bias ", bias.describe(),
                  " does not match weight ", weight.describe(), "; expected shape [", out_features,
                  "]");
  }

  Tensor y = Tensor::empty({n, out_features}, DType::F32, x.device());
  if (has_bias) fill_rows(y, bias);
  gemm(x.device(), Transpose::No, Transpose::Yes, n, out_features, in, x, weight,
       has_bias ? 1.f : 0.f, y);

  const bool keep = needs_graph({x, weight, bias});
  Tensor x_saved = keep ? x.detach() : Tensor();
  Tensor w_saved = keep ? weight.detach() : Tensor();
  return record(y, "linear", {x, weight, bias},
                [x_saved, w_saved, n, in, out_features](const Tensor& g, const NeedsGrad& needs) {
                  const Device device = g.device();
                  Tensor dx, dw, db;
                  if (needs[0]) {
                    dx = Tensor::empty({n, in}, DType::F32, device);
                    gemm(device, Transpose::No, Transpose::No, n, in, out_features, g, w_saved,
                         0.f, dx);
                  }
                  if (needs[1]) {
                    dw = Tensor::empty({out_features, in}, DType::F32, device);
                    gemm(device, Transpose::Yes, Transpose::No, out_features, in, n, g, x_saved,
                         0.f, dw);
                  }
                  if (needs[2]) db = sum(g, 0);
                  return std::vector<Tensor>{dx, dw, db};
                });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  LEARNER_NVTX_RANGE("matmul");
  check_dtype(a, DType::F32, "matmul", "a");
  check_dtype(b, DType::F32, "matmul", "b");
  check_rank(a, 2, "matmul", "a");
  check_rank(b, 2, "matmul", "b");
  check_same_device(a, b, "matmul");
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  LEARNER_CHECK(b.size(0) == k, "matmul: a ", a.describe(), " and b ", b.describe(),
                " cannot be multiplied: a has ", k, " columns, b has ", b.size(0), " rows");
  Tensor c = Tensor::empty({m, n}, DType::F32, a.device());
  gemm(a.device(), Transpose::No, Transpose::No, m, n, k, a, b, 0.f, c);

  const bool keep = needs_graph({a, b});
  Tensor a_saved = keep ? a.detach() : Tensor();
  Tensor b_saved = keep ? b.detach() : Tensor();
  return record(c, "matmul", {a, b}, [a_saved, b_saved, m, n, k](const Tensor& g, const NeedsGrad& needs) {
    const Device device = g.device();
    Tensor da, db;
    if (needs[0]) {
      da = Tensor::empty({m, k}, DType::F32, device);
      gemm(device, Transpose::No, Transpose::Yes, m, k, n, g, b_saved, 0.f, da);
    }
    if (needs[1]) {
      db = Tensor::empty({k, n}, DType::F32, device);
      gemm(device, Transpose::Yes, Transpose::No, k, n, m, a_saved, g, 0.f, db);
    }
    return std::vector<Tensor>{da, db};
  });
}

}  // namespace learner
