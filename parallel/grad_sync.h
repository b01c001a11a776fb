// Data-parallel bookkeeping around the optimizer: rank 0's parameters and buffers copied to
// every rank at start, and gradients averaged over ranks in buckets after backward.
//
// Buckets hold parameters in reverse registration order (the order backward finishes them)
// up to bucket_mb each. Each bucket is packed into one flat buffer and its all-reduce
// started as soon as all its parameters' gradients are final: during backward, through
// run_backward's leaf hook (begin(), mark_ready() per leaf, finish()), so that with NCCL the
// reductions run on the communication stream while backward computes the earlier layers;
// the CPU engines reduce in place. Buckets start strictly in bucket order, the same on
// every rank. average() does the same after a backward without the hook.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallel/communicator.h"
#include "framework/nn/module.h"

namespace learner::dist {

struct GradBucket {
  std::vector<int> params;       // indices into the parameter list, in packing order
  std::vector<int64_t> offsets;  // element offset of each in the flat buffer
  int64_t numel = 0;
};

// Groups parameters (by numel, f32) in reverse registration order into buckets of at most
// bucket_bytes; a parameter larger than that gets a bucket of its own.
std::vector<GradBucket> plan_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes);

class GradientSync {
 public:
  // params: the model's parameters in registration order (nn::Module::parameters()), all on
  // comm.device(); bucket_mb: the --bucket-mb flag (PyTorch DDP's default is 25).
  GradientSync(Communicator& comm, std::vector<Tensor*> params, double bucket_mb = 25);

  // After backward, before the optimizer step: each parameter's .grad becomes the mean of
  // the ranks' gradients. A rank where a parameter got no gradient contributes zeros; a
  // parameter no rank gave a gradient keeps none (the optimizer then skips it, as alone).
  void average();

  // The overlapped form: begin() before backward, mark_ready(leaf) from the leaf hook,
  // finish() after backward (starts what is left, waits, writes the means into .grad).
  void begin();
  void mark_ready(const TensorImpl& leaf);
  void finish();

  const std::vector<GradBucket>& buckets() const { return buckets_; }

 private:
  Communicator& comm_;
  std::vector<Tensor*> params_;
  std::vector<GradBucket> buckets_;
  std::vector<Tensor> buffers_;  // one flat (numel) f32 buffer per bucket, reused every step

  void launch(size_t bucket);
  std::vector<int> bucket_of_;             // parameter index -> bucket
  std::vector<int> pending_;               // per bucket: parameters not yet final this step
  size_t next_launch_ = 0;                 // buckets [0, next_launch_) are started
  std::vector<std::unique_ptr<Work>> works_;
  bool active_ = false;
};

// Copies rank `root`'s parameters and buffers into every rank's module, in place, after
// checking that all ranks hold the same names, shapes and dtypes (else learner::Error).
void broadcast_module(nn::Module& module, Communicator& comm, int root = 0);

// Element-wise sums over ranks of host values, exact in double and in rank order (for
// metrics: loss sums, counts). Every rank gets the same values.
std::vector<double> sum_over_ranks(const std::vector<double>& values, Communicator& comm);
double mean_over_ranks(double value, Communicator& comm);

}  // namespace learner::dist
