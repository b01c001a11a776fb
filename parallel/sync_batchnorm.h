// SyncBatchNorm2d (--sync-bn): BatchNorm2d whose training statistics cover the whole global
// batch, so that N ranks with batch B/N normalise exactly like one rank with batch B
// (PyTorch's SyncBatchNorm semantics: biased variance to normalise, the unbiased variance
// over the global count M for running_var).
//
// Forward: per-channel (count, mean, M2) of this rank, all-gathered and combined in rank
// order (kernels/sync_batchnorm.h); every rank gets the same statistics. Backward: the
// per-channel sums of dy and dy * xhat are all-reduced (summed) for dx; weight and bias get
// this rank's own sums, which the gradient sync then averages. As with all_gather_rows
// (parallel/global_batch.h) the job trains the mean over ranks of the rank losses.
// Eval mode uses the running statistics and communicates nothing.
#pragma once

#include "parallel/communicator.h"

namespace learner::dist {

// x (N, C, H, W) f32; weight, bias, running_mean, running_var (C); on comm.device() (or any
// device with the Single engine). In training running_mean/running_var are updated in place
// with the same values on every rank. Every rank must call it (and its backward) in the same
// order. `comm` must outlive the graph.
Tensor sync_batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         Tensor& running_mean, Tensor& running_var, bool training, float momentum,
                         float eps, Communicator& comm);

}  // namespace learner::dist
