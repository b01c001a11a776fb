// One optimisation step of stage 1 (SPEC sections 6-7): forward, MSE (+ lambda * CL or wCL
// over the global batch), backward with the gradient sync, and the optimizer update.
//
// One process is the world-of-one case of the data-parallel path (parallel/): its
// all-gathers copy, its gradient sync and rank means are the identity, so a single rank
// runs the same code as N ranks and gets the same bits as a loop written for one rank.
#pragma once

#include "framework/optim/optimizer.h"
#include "models/heads.h"
#include "parallel/communicator.h"
#include "parallel/grad_sync.h"
#include "train/pretrain.h"

namespace learner::train {

// What the step works on; the references outlive it.
struct PretrainStepParts {
  models::PretrainModel& model;
  optim::Optimizer& optimizer;
  dist::Communicator& comm;
  dist::GradientSync& gradient_sync;  // the same parameters as the optimizer's
  LossKind loss = LossKind::MSE;
  Similarity similarity = Similarity::Cos;
  float lambda = 1.f;
  float eps_w = 0.05f;
};

// What one step produced, read back from the device once.
struct StepResult {
  float loss = 0;                // MSE + lambda * CL, the mean over ranks: the global batch's loss
  double mse = 0;                // the mean over ranks
  bool has_cl = false;           // --loss cl or wcl
  float cl = 0;                  // the contrastive term of the global batch (the same on every rank)
  bool gradients_finite = true;  // after the gradient sync, so the same on every rank
  bool loss_finite() const;
  bool updated() const { return loss_finite() && gradients_finite; }
};

// x (B*T, C, H, W) and y (B) on comm.device(), this rank's part of the batch. The optimizer
// steps only when the loss and every gradient are finite (updated()); otherwise the
// parameters are left as they were, for the caller to report. Every rank must call it.
StepResult train_step(PretrainStepParts& parts, const Tensor& x, const Tensor& y);

}  // namespace learner::train
