// Pooling ops: argument checks, device dispatch and backward closures (kernels/pool.h).
#include "framework/ops/pool.h"

#include <limits>

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/pool.h"

namespace learner {

namespace {

// Checks x and the window against PyTorch's rules (floor mode, pad <= kernel / 2, so that
// every window holds an input cell) and returns the shapes for the kernels.
PoolGeometry pool_geometry(const Tensor& x, const Pool2dParams& p, const char* op) {
  check_rank(x, 4, op, "x");
  check_dtype(x, DType::F32, op, "x");
  LEARNER_CHECK(p.kernel_h >= 1 && p.kernel_w >= 1, op, ": kernel must be at least 1x1, got ",
                p.kernel_h, "x", p.kernel_w);
  LEARNER_CHECK(p.stride_h >= 1 && p.stride_w >= 1, op, ": stride must be at least 1x1, got ",
                p.stride_h, "x", p.stride_w);
  LEARNER_CHECK(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding must be non-negative, got ", p.pad_h,
                "x", p.pad_w);
  LEARNER_CHECK(p.pad_h <= p.kernel_h / 2 && p.pad_w <= p.kernel_w / 2, op, ": padding ", p.pad_h,
                "x", p.pad_w, " must be at most half the kernel ", p.kernel_h, "x", p.kernel_w);
  PoolGeometry g;
  g.N = x.size(0);
  g.C = x.size(1);
  g.H = x.size(2);
  g.W = x.size(3);
  LEARNER_CHECK(g.H >= 1 && g.W >= 1, op, ": input has an empty plane: ", x.describe());
  LEARNER_CHECK(g.H * g.W <= std::numeric_limits<int32_t>::max(), op,
                ": planes over 2^31 cells are not supported, got ", x.describe());
  const int64_t rows = g.H + 2 * p.pad_h - p.kernel_h;
  const int64_t cols = g.W + 2 * p.pad_w - p.kernel_w;
  LEARNER_CHECK(rows >= 0 && cols >= 0, op, ": input ", x.describe(),
                " is smaller than the kernel ", p.kernel_h, "x", p.kernel_w, " with padding ",
                p.pad_h, "x", p.pad_w);
  g.OH = rows / p.stride_h + 1;
  g.OW = cols / p.stride_w + 1;
  g.kernel_h = p.kernel_h;
  g.kernel_w = p.kernel_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  return g;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dParams& params) {
  LEARNER_NVTX_RANGE("max_pool2d");
  const PoolGeometry g = pool_geometry(x, params, "max_pool2d");
  const Device device = x.device();
  Tensor y = Tensor::empty({g.N, g.C, g.OH, g.OW}, DType::F32, device);
  // The argmax (h * W + w within the plane) is what the backward routes gradients by.
  Tensor argmax = Tensor::empty({g.N, g.C, g.OH, g.OW}, DType::I32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("max_pool2d", maxpool2d_forward_cuda(y.data<float>(), argmax.data<int32_t>(),
                                                           x.data<float>(), g, stream_for(device)));
  } else {
    maxpool2d_forward_cpu(y.data<float>(), argmax.data<int32_t>(), x.data<float>(), g);
  }
  return record(y, "max_pool2d", {x}, [argmax, g](const Tensor& dy, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("max_pool2d_backward");
    Tensor dx = Tensor::empty({g.N, g.C, g.H, g.W}, DType::F32, dy.device());
    if (dy.device().is_cuda()) {
      LEARNER_CUDA_CALL(
          "max_pool2d_backward",
          maxpool2d_backward_cuda(dx.data<float>(), dy.data<float>(), argmax.data<int32_t>(), g,
                                  stream_for(dy.device())));
    } else {
      maxpool2d_backward_cpu(dx.data<float>(), dy.data<float>(), argmax.data<int32_t>(), g);
    }
    return std::vector<Tensor>{dx};
  });
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& params) {
  LEARNER_NVTX_RANGE("avg_pool2d");
  const PoolGeometry g = pool_geometry(x, params, "avg_pool2d");
  const Device device = x.device();
  Tensor y = Tensor::empty({g.N, g.C, g.OH, g.OW}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("avg_pool2d", avgpool2d_forward_cuda(y.data<float>(), x.data<float>(), g,
                                                           stream_for(device)));
  } else {
    avgpool2d_forward_cpu(y.data<float>(), x.data<float>(), g);
  }
  return record(y, "avg_pool2d", {x}, [g](const Tensor& dy, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("avg_pool2d_backward");
    Tensor dx = Tensor::empty({g.N, g.C, g.H, g.W}, DType::F32, dy.device());
    if (dy.device().is_cuda()) {
      LEARNER_CUDA_CALL(
          "avg_pool2d_backward",
          avgpool2d_backward_cuda(dx.data<float>(), dy.data<float>(), g, stream_for(dy.device())));
    } else {
      avgpool2d_backward_cpu(dx.data<float>(), dy.data<float>(), g);
    }
    return std::vector<Tensor>{dx};
  });
}

Tensor global_avg_pool2d(const Tensor& x) {
  LEARNER_NVTX_RANGE("global_avg_pool2d");
  check_rank(x, 4, "global_avg_pool2d", "x");
  check_dtype(x, DType::F32, "global_avg_pool2d", "x");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  LEARNER_CHECK(H >= 1 && W >= 1, "global_avg_pool2d: input has an empty plane: ", x.describe());
  const Device device = x.device();
  Tensor y = Tensor::empty({N, C}, DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL("global_avg_pool2d",
                      global_avgpool2d_forward_cuda(y.data<float>(), x.data<float>(), N * C, H * W,
                                                    stream_for(device)));
  } else {
    global_avgpool2d_forward_cpu(y.data<float>(), x.data<float>(), N * C, H * W);
  }
  return record(y, "global_avg_pool2d", {x}, [N, C, H, W](const Tensor& dy, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("global_avg_pool2d_backward");
    Tensor dx = Tensor::empty({N, C, H, W}, DType::F32, dy.device());
    if (dy.device().is_cuda()) {
      LEARNER_CUDA_CALL("global_avg_pool2d_backward",
                        global_avgpool2d_backward_cuda(dx.data<float>(), dy.data<float>(), N * C,
                                                       H * W, stream_for(dy.device())));
    } else {
      global_avgpool2d_backward_cpu(dx.data<float>(), dy.data<float>(), N * C, H * W);
    }
    return std::vector<Tensor>{dx};
  });
}

}  // namespace learner
