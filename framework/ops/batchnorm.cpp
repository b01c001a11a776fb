// BatchNorm2d op: argument checks, statistics (batch or running), device dispatch, and the
// backward closure (kernels/batchnorm.h has the math).
#include "framework/ops/batchnorm.h"

#include <cmath>

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/batchnorm.h"

namespace learner {

namespace {

constexpr const char* kOp = "batch_norm2d";

void check_channel_vector(const char* op, const Tensor& t, const Tensor& x, const char* arg) {
  check_rank(t, 1, op, arg);
  check_dtype(t, DType::F32, op, arg);
  LEARNER_CHECK(t.size(0) == x.size(1), op, ": argument '", arg,
                "' must have one value per channel (", x.size(1), " for input ", x.describe(),
                "), got ", t.describe());
  check_same_device(t, x, op);
}

// Gradients for (x, weight, bias), given what the forward saved.
std::vector<Tensor> batch_norm2d_backward(const Tensor& dy, const NeedsGrad& needs, const Tensor& x,
                                          const Tensor& weight, const Tensor& mean,
                                          const Tensor& invstd, bool training) {
  LEARNER_NVTX_RANGE("batch_norm2d_backward");
  const Device device = dy.device();
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  // dweight = sum(dy * xhat) and dbias = sum(dy); training's dx needs both, eval's neither.
  Tensor dweight, dbias;
  if (needs[1] || needs[2] || (training && needs[0])) {
    dweight = Tensor::empty({C}, DType::F32, device);
    dbias = Tensor::empty({C}, DType::F32, device);
    if (device.is_cuda()) {
      LEARNER_CUDA_CALL(
          "batch_norm2d_backward",
          batchnorm_backward_reduce_cuda(dweight.data<float>(), dbias.data<float>(),
                                         dy.data<float>(), x.data<float>(), mean.data<float>(),
                                         invstd.data<float>(), N, C, HW, stream_for(device)));
    } else {
      batchnorm_backward_reduce_cpu(dweight.data<float>(), dbias.data<float>(), dy.data<float>(),
                                    x.data<float>(), mean.data<float>(), invstd.data<float>(), N, C,
                                    HW);
    }
  }
  Tensor dx;
  if (needs[0]) {
    dx = Tensor::empty(x.shape(), DType::F32, device);
    if (training && device.is_cuda()) {
      LEARNER_CUDA_CALL("batch_norm2d_backward",
                        batchnorm_backward_train_cuda(
                            dx.data<float>(), dy.data<float>(), x.data<float>(), mean.data<float>(),
                            invstd.data<float>(), weight.data<float>(), dweight.data<float>(),
                            dbias.data<float>(), N, C, HW, stream_for(device)));
    } else if (training) {
      batchnorm_backward_train_cpu(dx.data<float>(), dy.data<float>(), x.data<float>(),
                                   mean.data<float>(), invstd.data<float>(), weight.data<float>(),
                                   dweight.data<float>(), dbias.data<float>(), N, C, HW);
    } else if (device.is_cuda()) {
      LEARNER_CUDA_CALL(
          "batch_norm2d_backward",
          batchnorm_backward_eval_cuda(dx.data<float>(), dy.data<float>(), invstd.data<float>(),
                                       weight.data<float>(), N, C, HW, stream_for(device)));
    } else {
      batchnorm_backward_eval_cpu(dx.data<float>(), dy.data<float>(), invstd.data<float>(),
                                  weight.data<float>(), N, C, HW);
    }
  }
  return {dx, needs[1] ? dweight : Tensor(), needs[2] ? dbias : Tensor()};
}

}  // namespace

void check_batch_norm_arguments(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const Tensor& running_mean, const Tensor& running_var, float momentum,
                                float eps) {
  check_rank(x, 4, op, "x");
  check_dtype(x, DType::F32, op, "x");
  check_channel_vector(op, weight, x, "weight");
  check_channel_vector(op, bias, x, "bias");
  check_channel_vector(op, running_mean, x, "running_mean");
  check_channel_vector(op, running_var, x, "running_var");
  LEARNER_CHECK(std::isfinite(eps) && eps > 0.f, op, ": eps must be positive, got ", eps);
  LEARNER_CHECK(momentum >= 0.f && momentum <= 1.f, op, ": momentum must be in [0, 1], got ", momentum);
}

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, float momentum, float eps) {
  LEARNER_NVTX_RANGE("batch_norm2d");
  check_batch_norm_arguments(kOp, x, weight, bias, running_mean, running_var, momentum, eps);
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  LEARNER_CHECK(!training || N * HW > 1, kOp,
                ": expected more than 1 value per channel when training, got input ", x.describe());

  const Device device = x.device();
  Tensor mean, invstd;  // (C): what normalised x, kept for the backward
  if (training) {
    mean = Tensor::empty({C}, DType::F32, device);
    invstd = Tensor::empty({C}, DType::F32, device);
    if (device.is_cuda()) {
      LEARNER_CUDA_CALL(
          kOp, batchnorm_stats_cuda(mean.data<float>(), invstd.data<float>(),
                                    running_mean.data<float>(), running_var.data<float>(),
                                    x.data<float>(), N, C, HW, momentum, eps, stream_for(device)));
    } else {
      batchnorm_stats_cpu(mean.data<float>(), invstd.data<float>(), running_mean.data<float>(),
                          running_var.data<float>(), x.data<float>(), N, C, HW, momentum, eps);
    }
  } else {
    // A copy, so that a later update of the running statistics cannot change the backward.
    mean = running_mean.clone();
    invstd = Tensor::empty({C}, DType::F32, device);
    if (device.is_cuda()) {
      LEARNER_CUDA_CALL(
          kOp, batchnorm_eval_invstd_cuda(invstd.data<float>(), running_var.data<float>(), C, eps,
                                          stream_for(device)));
    } else {
      batchnorm_eval_invstd_cpu(invstd.data<float>(), running_var.data<float>(), C, eps);
    }
  }

  Tensor y = Tensor::empty(x.shape(), DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(
        kOp, batchnorm_apply_cuda(y.data<float>(), x.data<float>(), mean.data<float>(),
                                  invstd.data<float>(), weight.data<float>(), bias.data<float>(), N,
                                  C, HW, stream_for(device)));
  } else {
    batchnorm_apply_cpu(y.data<float>(), x.data<float>(), mean.data<float>(), invstd.data<float>(),
                        weight.data<float>(), bias.data<float>(), N, C, HW);
  }

  if (!needs_graph({x, weight, bias})) return y;
  const Tensor x_saved = x.detach(), weight_saved = weight.detach();
  return record(
      y, kOp, {x, weight, bias},
      [x_saved, weight_saved, mean, invstd, training](const Tensor& dy, const NeedsGrad& needs) {
        return batch_norm2d_backward(dy, needs, x_saved, weight_saved, mean, invstd, training);
      });
}

}  // namespace learner
