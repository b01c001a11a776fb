// Data-parallel bookkeeping around the optimizer: rank 0's parameters and buffers copied to
// every rank at start, and gradients averaged over ranks in buckets after backward.
//
// Buckets hold parameters in reverse registration order (the order backward finishes them)
// up to bucket_mb each. average() packs each bucket into one flat buffer and starts its
// all-reduce at once: with NCCL it runs on the communication stream while the next bucket
// is packed; the CPU engines run it in place. Our autograd has no per-parameter hook, so the
// reductions start after backward rather than during it (docs/multi-gpu.md says what a hook
// in run_backward would add).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
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

  const std::vector<GradBucket>& buckets() const { return buckets_; }

 private:
  Communicator& comm_;
  std::vector<Tensor*> params_;
  std::vector<GradBucket> buckets_;
  std::vector<Tensor> buffers_;  // one flat (numel) f32 buffer per bucket, reused every step
};

// Copies rank `root`'s parameters and buffers into every rank's module, in place, after
// checking that all ranks hold the same names, shapes and dtypes (else learner::Error).
void broadcast_module(nn::Module& module, Communicator& comm, int root = 0);

// Element-wise sums over ranks of host values, exact in double and in rank order (for
// metrics: loss sums, counts). Every rank gets the same values.
std::vector<double> sum_over_ranks(const std::vector<double>& values, Communicator& comm);
double mean_over_ranks(double value, Communicator& comm);

}  // namespace learner::dist
