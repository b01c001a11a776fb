// Losses: log_softmax, cross_entropy (log_softmax + mean negative log-likelihood, with a fused
// backward) and mse_loss. Scalar results live on the input's device; nothing is read back.
#include "framework/ops/loss.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "framework/ops/index_check.h"
#include "base/runtime.h"
#include "kernels/mse_loss.h"
#include "kernels/reduce.h"
#include "kernels/softmax_loss.h"

namespace learner {

namespace {

void check_logits(const Tensor& logits, const char* op) {
  check_dtype(logits, DType::F32, op, "logits");
  check_rank(logits, 2, op, "logits");
  LEARNER_CHECK(logits.size(0) > 0 && logits.size(1) > 0, op,
                ": logits must have at least one row and one class, got ", logits.describe());
}

Tensor log_softmax_values(const Tensor& logits) {
  const int64_t n = logits.size(0), k = logits.size(1);
  Tensor y = Tensor::empty({n, k}, DType::F32, logits.device());
  if (logits.device().is_cuda()) {
    LEARNER_CUDA_CALL("log_softmax", log_softmax_forward_cuda(y.data<float>(), logits.data<float>(),
                                                              n, k, stream_for(logits.device())));
  } else {
    log_softmax_forward_cpu(y.data<float>(), logits.data<float>(), n, k);
  }
  return y;
}

// scale * sum of the n values of v, as a scalar tensor on v's device.
Tensor scaled_total(const Tensor& v, float scale) {
  const int64_t n = v.numel();
  Tensor out = Tensor::empty({}, DType::F32, v.device());
  if (v.device().is_cuda()) {
    LEARNER_CUDA_CALL("loss", [&] {
      const int64_t ws_floats = sum_axis_cuda_workspace(1, n, 1);
      Tensor workspace = ws_floats > 0 ? Tensor::empty({ws_floats}, DType::F32, v.device()) : Tensor();
      sum_axis_cuda(out.data<float>(), v.data<float>(), 1, n, 1, scale,
                    ws_floats > 0 ? workspace.data<float>() : nullptr, stream_for(v.device()));
    }());
  } else {
    sum_axis_cpu(out.data<float>(), v.data<float>(), 1, n, 1, scale);
  }
  return out;
}

}  // namespace

Tensor log_softmax(const Tensor& logits) {
  LEARNER_NVTX_RANGE("log_softmax");
  check_logits(logits, "log_softmax");
  Tensor y = log_softmax_values(logits);
  Tensor y_saved = needs_graph({logits}) ? y.detach() : Tensor();
  return record(y, "log_softmax", {logits}, [y_saved](const Tensor& g, const NeedsGrad&) {
    const int64_t n = g.size(0), k = g.size(1);
    Tensor dx = Tensor::empty({n, k}, DType::F32, g.device());
    if (g.device().is_cuda()) {
      LEARNER_CUDA_CALL("log_softmax_backward",
                        log_softmax_backward_cuda(dx.data<float>(), g.data<float>(),
                                                  y_saved.data<float>(), n, k,
                                                  stream_for(g.device())));
    } else {
      log_softmax_backward_cpu(dx.data<float>(), g.data<float>(), y_saved.data<float>(), n, k);
    }
    return std::vector<Tensor>{dx};
  });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target) {
  LEARNER_NVTX_RANGE("cross_entropy");
  check_logits(logits, "cross_entropy");
  check_dtype(target, DType::I64, "cross_entropy", "target");
  check_rank(target, 1, "cross_entropy", "target");
  check_same_device(logits, target, "cross_entropy");
  const int64_t n = logits.size(0), k = logits.size(1);
  LEARNER_CHECK(target.size(0) == n, "cross_entropy: logits ", logits.describe(), " have ", n,
                " rows but target ", target.describe(), " has ", target.size(0), " entries");
  const BadIndex bad = find_bad_index(target, k);
  LEARNER_CHECK(bad.position < 0, "cross_entropy: target of sample ", bad.position, " is ",
                bad.value, ", outside the ", k, " classes [0, ", k, ") of logits ",
                logits.describe());

  Tensor logp = log_softmax_values(logits);
  Tensor picked = Tensor::empty({n}, DType::F32, logits.device());
  if (logits.device().is_cuda()) {
    LEARNER_CUDA_CALL("cross_entropy", nll_pick_cuda(picked.data<float>(), logp.data<float>(),
                                                     target.data<int64_t>(), n, k,
                                                     stream_for(logits.device())));
  } else {
    nll_pick_cpu(picked.data<float>(), logp.data<float>(), target.data<int64_t>(), n, k);
  }
  Tensor loss = scaled_total(picked, static_cast<float>(-1.0 / static_cast<double>(n)));

  Tensor target_saved = needs_graph({logits}) ? target.detach() : Tensor();
  return record(loss, "cross_entropy", {logits},
                [logp, target_saved, n, k](const Tensor& g, const NeedsGrad&) {
                  Tensor dx = Tensor::empty({n, k}, DType::F32, g.device());
                  if (g.device().is_cuda()) {
                    LEARNER_CUDA_CALL("cross_entropy_backward",
                                      cross_entropy_backward_cuda(
                                          dx.data<float>(), g.data<float>(), logp.data<float>(),
                                          target_saved.data<int64_t>(), n, k,
                                          stream_for(g.device())));
                  } else {
                    cross_entropy_backward_cpu(dx.data<float>(), g.data<float>(),
                                               logp.data<float>(), target_saved.data<int64_t>(),
                                               n, k);
                  }
                  return std::vector<Tensor>{dx};
                });
}

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
  LEARNER_NVTX_RANGE("mse_loss");
  check_dtype(prediction, DType::F32, "mse_loss", "prediction");
  check_dtype(target, DType::F32, "mse_loss", "target");
  check_same_device(prediction, target, "mse_loss");
  check_same_shape(prediction, target, "mse_loss");
  const int64_t n = prediction.numel();
  LEARNER_CHECK(n > 0, "mse_loss: cannot average the zero elements of ", prediction.describe());

  Tensor loss;
  if (prediction.device().is_cuda()) {
    loss = Tensor::empty({}, DType::F32, prediction.device());
    LEARNER_CUDA_CALL("mse_loss", [&] {
      Tensor workspace =
          Tensor::empty({mse_forward_cuda_workspace(n)}, DType::F32, prediction.device());
      mse_forward_cuda(loss.data<float>(), workspace.data<float>(), prediction.data<float>(),
                       target.data<float>(), n, stream_for(prediction.device()));
    }());
  } else {
    loss = Tensor::empty({}, DType::F32, prediction.device());
    mse_forward_cpu(loss.data<float>(), prediction.data<float>(), target.data<float>(), n);
  }

  const bool keep = needs_graph({prediction, target});
  Tensor p_saved = keep ? prediction.detach() : Tensor();
  Tensor t_saved = keep ? target.detach() : Tensor();
  return record(loss, "mse_loss", {prediction, target},
                [p_saved, t_saved, n](const Tensor& g, const NeedsGrad& needs) {
                  Tensor dp = needs[0] ? Tensor::empty(p_saved.shape(), DType::F32, g.device()) : Tensor();
                  Tensor dt = needs[1] ? Tensor::empty(t_saved.shape(), DType::F32, g.device()) : Tensor();
                  float* dp_ptr = needs[0] ? dp.data<float>() : nullptr;
                  float* dt_ptr = needs[1] ? dt.data<float>() : nullptr;
                  if (g.device().is_cuda()) {
                    LEARNER_CUDA_CALL("mse_loss_backward",
                                      mse_backward_cuda(dp_ptr, dt_ptr, g.data<float>(),
                                                        p_saved.data<float>(), t_saved.data<float>(),
                                                        n, stream_for(g.device())));
                  } else {
                    mse_backward_cpu(dp_ptr, dt_ptr, g.data<float>(), p_saved.data<float>(),
                                     t_saved.data<float>(), n);
                  }
                  return std::vector<Tensor>{dp, dt};
                });
}

}  // namespace learner
