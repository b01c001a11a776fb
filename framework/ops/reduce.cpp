// Reductions: sum and mean over all elements or one dimension, with their backward
// (a broadcast of the output gradient over the reduced elements).
#include "framework/ops/reduce.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/reduce.h"

namespace learner {

namespace {

// x viewed as (outer, reduce, inner) around one axis.
struct AxisSplit {
  int64_t outer = 1, reduce = 1, inner = 1;
};

AxisSplit split_at(const Shape& shape, int dim) {
  AxisSplit s;
  for (int d = 0; d < dim; ++d) s.outer *= shape[d];
  s.reduce = shape[dim];
  for (size_t d = dim + 1; d < shape.size(); ++d) s.inner *= shape[d];
  return s;
}

Tensor sum_axis(const Tensor& x, const AxisSplit& s, float scale, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, DType::F32, x.device());
  if (x.device().is_cuda()) {
    LEARNER_CUDA_CALL("sum", [&] {
      const int64_t ws_floats = sum_axis_cuda_workspace(s.outer, s.reduce, s.inner);
      Tensor workspace =
          ws_floats > 0 ? Tensor::empty({ws_floats}, DType::F32, x.device()) : Tensor();
      sum_axis_cuda(out.data<float>(), x.data<float>(), s.outer, s.reduce, s.inner, scale,
                    ws_floats > 0 ? workspace.data<float>() : nullptr, stream_for(x.device()));
    }());
  } else {
    sum_axis_cpu(out.data<float>(), x.data<float>(), s.outer, s.reduce, s.inner, scale);
  }
  return out;
}

Tensor broadcast_axis(const Tensor& g, const AxisSplit& s, float scale, const Shape& x_shape) {
  Tensor dx = Tensor::empty(x_shape, DType::F32, g.device());
  if (g.device().is_cuda()) {
    LEARNER_CUDA_CALL("sum_backward",
                      broadcast_axis_cuda(dx.data<float>(), g.data<float>(), s.outer, s.reduce,
                                          s.inner, scale, stream_for(g.device())));
  } else {
    broadcast_axis_cpu(dx.data<float>(), g.data<float>(), s.outer, s.reduce, s.inner, scale);
  }
  return dx;
}

Tensor reduce(const Tensor& x, const AxisSplit& s, float scale, const Shape& out_shape,
              const char* op) {
  Tensor out = sum_axis(x, s, scale, out_shape);
  const Shape x_shape = x.shape();
  return record(out, op, {x}, [s, scale, x_shape](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{broadcast_axis(g, s, scale, x_shape)};
  });
}

Tensor reduce_all(const Tensor& x, bool average, const char* op) {
  LEARNER_NVTX_RANGE(op);
  check_dtype(x, DType::F32, op, "x");
  const int64_t n = x.numel();
  LEARNER_CHECK(!average || n > 0, op, ": cannot average the zero elements of ", x.describe());
  AxisSplit s;
  s.reduce = n;
  return reduce(x, s, average ? static_cast<float>(1.0 / static_cast<double>(n)) : 1.f, {}, op);
}

Tensor reduce_dim(const Tensor& x, int dim, bool keepdim, bool average, const char* op) {
  LEARNER_NVTX_RANGE(op);
  check_dtype(x, DType::F32, op, "x");
  const int d = normalize_dim(dim, x.dim(), op);
  const AxisSplit s = split_at(x.shape(), d);
  LEARNER_CHECK(!average || s.reduce > 0, op, ": cannot average over dimension ", dim,
                " of size 0 in ", x.describe());
  Shape out_shape = x.shape();
  if (keepdim) {
    out_shape[d] = 1;
  } else {
    out_shape.erase(out_shape.begin() + d);
  }
  const float scale = average ? static_cast<float>(1.0 / static_cast<double>(s.reduce)) : 1.f;
  return reduce(x, s, scale, out_shape, op);
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_all(x, false, "sum"); }
Tensor sum(const Tensor& x, int dim, bool keepdim) { return reduce_dim(x, dim, keepdim, false, "sum"); }
Tensor mean(const Tensor& x) { return reduce_all(x, true, "mean"); }
Tensor mean(const Tensor& x, int dim, bool keepdim) {
  return reduce_dim(x, dim, keepdim, true, "mean");
}

}  // namespace learner
