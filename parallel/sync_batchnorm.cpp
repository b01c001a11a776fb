// SyncBatchNorm2d op: checks, the statistics exchange, device dispatch and the backward
// closure (the math is in kernels/sync_batchnorm.h; apply and the local gradient sums reuse
// kernels/batchnorm.h).
#include "parallel/sync_batchnorm.h"

#include <cmath>

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/batchnorm.h"
#include "framework/ops/shape.h"
#include "kernels/batchnorm.h"
#include "kernels/sync_batchnorm.h"

namespace learner::dist {

namespace {

constexpr const char* kOp = "sync_batch_norm2d";

// What the forward keeps: the global statistics (C each).
struct Saved {
  Tensor x, weight, mean, invstd, total;
};

std::vector<Tensor> backward(const Tensor& dy, const NeedsGrad& needs, const Saved& s,
                             Communicator& comm) {
  LEARNER_NVTX_RANGE("sync_batch_norm2d_backward");
  const Device device = dy.device();
  const int64_t N = s.x.size(0), C = s.x.size(1), HW = s.x.size(2) * s.x.size(3);
  // This rank's [sum dy * xhat; sum dy], (2, C): the weight and bias gradients.
  Tensor local = Tensor::empty({2 * C}, DType::F32, device);
  float* dweight = local.data<float>();
  float* dbias = dweight + C;
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(kOp, batchnorm_backward_reduce_cuda(
                               dweight, dbias, dy.data<float>(), s.x.data<float>(),
                               s.mean.data<float>(), s.invstd.data<float>(), N, C, HW,
                               stream_for(device)));
  } else {
    batchnorm_backward_reduce_cpu(dweight, dbias, dy.data<float>(), s.x.data<float>(),
                                  s.mean.data<float>(), s.invstd.data<float>(), N, C, HW);
  }
  Tensor dx;
  if (needs[0]) {
    Tensor global = local.clone();
    comm.all_reduce_sum(global);
    dx = Tensor::empty(s.x.shape(), DType::F32, device);
    if (device.is_cuda()) {
      LEARNER_CUDA_CALL(kOp, sync_batchnorm_backward_dx_cuda(
                                 dx.data<float>(), dy.data<float>(), s.x.data<float>(),
                                 s.mean.data<float>(), s.invstd.data<float>(),
                                 s.weight.data<float>(), global.data<float>(),
                                 s.total.data<float>(), N, C, HW, stream_for(device)));
    } else {
      sync_batchnorm_backward_dx_cpu(dx.data<float>(), dy.data<float>(), s.x.data<float>(),
                                     s.mean.data<float>(), s.invstd.data<float>(),
                                     s.weight.data<float>(), global.data<float>(),
                                     s.total.data<float>(), N, C, HW);
    }
  }
  return {dx, needs[1] ? slice(local, 0, 0, C) : Tensor(),
          needs[2] ? slice(local, 0, C, 2 * C) : Tensor()};
}

}  // namespace

Tensor sync_batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         Tensor& running_mean, Tensor& running_var, bool training, float momentum,
                         float eps, Communicator& comm) {
  if (!training)
    return batch_norm2d(x, weight, bias, running_mean, running_var, false, momentum, eps);
  LEARNER_NVTX_RANGE("sync_batch_norm2d");
  check_batch_norm_arguments(kOp, x, weight, bias, running_mean, running_var, momentum, eps);
  LEARNER_CHECK(comm.engine() == Engine::Single || x.device() == comm.device(), kOp, ": input ",
                x.describe(), " is not on the device of ", comm.describe());
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  LEARNER_CHECK(N * HW > 1, kOp, ": expected more than 1 value per channel when training, got input ",
                x.describe());

  const Device device = x.device();
  Tensor stats = Tensor::empty({C, kSyncBnStatsWidth}, DType::F32, device);  // (C, 6)
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(kOp, sync_batchnorm_local_stats_cuda(stats.data<float>(), x.data<float>(), N,
                                                           C, HW, stream_for(device)));
  } else {
    sync_batchnorm_local_stats_cpu(stats.data<float>(), x.data<float>(), N, C, HW);
  }
  const Tensor gathered = comm.all_gather(stats);  // (R * C, 6)
  const int64_t R = comm.world_size();
  Saved s{x.detach(), weight.detach(), Tensor::empty({C}, DType::F32, device),
          Tensor::empty({C}, DType::F32, device), Tensor::empty({C}, DType::F32, device)};
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(kOp, sync_batchnorm_combine_cuda(
                               s.mean.data<float>(), s.invstd.data<float>(), s.total.data<float>(),
                               running_mean.data<float>(), running_var.data<float>(),
                               gathered.data<float>(), R, C, momentum, eps, stream_for(device)));
  } else {
    sync_batchnorm_combine_cpu(s.mean.data<float>(), s.invstd.data<float>(), s.total.data<float>(),
                               running_mean.data<float>(), running_var.data<float>(),
                               gathered.data<float>(), R, C, momentum, eps);
  }

  Tensor y = Tensor::empty(x.shape(), DType::F32, device);
  if (device.is_cuda()) {
    LEARNER_CUDA_CALL(kOp, batchnorm_apply_cuda(y.data<float>(), x.data<float>(),
                                                s.mean.data<float>(), s.invstd.data<float>(),
                                                weight.data<float>(), bias.data<float>(), N, C, HW,
                                                stream_for(device)));
  } else {
    batchnorm_apply_cpu(y.data<float>(), x.data<float>(), s.mean.data<float>(),
                        s.invstd.data<float>(), weight.data<float>(), bias.data<float>(), N, C, HW);
  }
  if (!needs_graph({x, weight, bias})) return y;
  Communicator* c = &comm;
  return record(y, kOp, {x, weight, bias}, [s, c](const Tensor& dy, const NeedsGrad& needs) {
    return backward(dy, needs, s, *c);
  });
}

}  // namespace learner::dist
