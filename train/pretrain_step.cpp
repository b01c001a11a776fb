// The stage-1 step (see pretrain_step.h).
#include "train/pretrain_step.h"

#include <cmath>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "parallel/global_batch.h"

namespace learner::train {

namespace {

// The sum of every gradient, on the device: NaN or Inf anywhere makes it non-finite.
// Undefined when no parameter has a gradient.
Tensor gradient_sum(nn::Module& model) {
  Tensor total;
  for (Tensor* p : model.parameters()) {
    if (!p->grad().defined()) continue;
    const Tensor s = sum(p->grad());
    total = total.defined() ? add(total, s) : s;
  }
  return total;
}

// The scalars of `values` (each one element, possibly undefined: skipped) in one host copy.
std::vector<float> read_scalars(const std::vector<Tensor>& values) {
  std::vector<Tensor> flat;
  for (const Tensor& v : values)
    if (v.defined()) flat.push_back(reshape(v.detach(), {1}));
  return concat(flat, 0).to(Device::cpu()).to_vector<float>();
}

}  // namespace

bool StepResult::loss_finite() const { return std::isfinite(loss); }

StepResult train_step(PretrainStepParts& parts, const Tensor& x, const Tensor& y) {
  dist::Communicator& comm = parts.comm;
  const auto out = parts.model.run(x);
  const Tensor mse = mse_loss(out.prediction, y);
  Tensor loss = mse, cl;
  StepResult result;
  result.has_cl = parts.loss != LossKind::MSE;
  if (result.has_cl) {
    // Mining and the loss run over the global batch (SPEC section 6): every rank sees all
    // ranks' embeddings and scores, and its backward gets the gradient of its own rows.
    const Tensor u = dist::all_gather_rows(out.embedding, comm);
    const Tensor y_all = dist::all_gather_values(y, comm);
    const ContrastiveKind kind = parts.loss == LossKind::MSE_WCL ? ContrastiveKind::WCL : ContrastiveKind::CL;
    cl = contrastive_loss(u, y_all, kind, parts.similarity, parts.eps_w);
    loss = add(mse, mul_scalar(cl, parts.lambda));
  }
  parts.optimizer.zero_grad();
  // Buckets start reducing as backward finishes their parameters (docs/multi-gpu.md).
  parts.gradient_sync.begin();
  run_backward(loss, Tensor(), [&](const TensorImpl& leaf) { parts.gradient_sync.mark_ready(leaf); });
  parts.gradient_sync.finish();

  // The one device read of the step: loss, MSE, CL and the gradient sum together.
  std::vector<float> host;
  {
    NoGradGuard no_grad;
    const Tensor grads = gradient_sum(parts.model);
    host = read_scalars({loss, mse, cl, grads});
  }
  size_t next = 0;
  const float local_loss = host[next++], local_mse = host[next++];
  if (result.has_cl) result.cl = host[next++];
  result.gradients_finite = next == host.size() || std::isfinite(host[next]);
  // The means over ranks: with equal local batches, the losses of the global batch.
  const std::vector<double> sums = dist::sum_over_ranks({local_loss, local_mse}, comm);
  result.loss = static_cast<float>(sums[0] / comm.world_size());
  result.mse = sums[1] / comm.world_size();
  if (result.updated()) parts.optimizer.step();
  return result;
}

}  // namespace learner::train
