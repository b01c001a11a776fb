// Gradient buckets, the parameter broadcast and host sums (see grad_sync.h).
#include "parallel/grad_sync.h"

#include <cstring>
#include <memory>

#include "framework/nvtx.h"
#include "framework/storage.h"

namespace learner::dist {

std::vector<GradBucket> plan_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes) {
  LEARNER_CHECK(bucket_bytes > 0, "plan_buckets: the bucket size must be positive, got ",
                bucket_bytes, " bytes");
  std::vector<GradBucket> buckets;
  const int64_t capacity = std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)));
  for (int i = static_cast<int>(numels.size()) - 1; i >= 0; --i) {
    if (buckets.empty() || (buckets.back().numel > 0 && buckets.back().numel + numels[i] > capacity))
      buckets.emplace_back();
    GradBucket& b = buckets.back();
    b.params.push_back(i);
    b.offsets.push_back(b.numel);
    b.numel += numels[i];
  }
  return buckets;
}

GradientSync::GradientSync(Communicator& comm, std::vector<Tensor*> params, double bucket_mb)
    : comm_(comm), params_(std::move(params)) {
  LEARNER_CHECK(bucket_mb > 0, "--bucket-mb must be positive, got ", bucket_mb);
  std::vector<int64_t> numels;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = *params_[i];
    LEARNER_CHECK(p.defined() && p.dtype() == DType::F32, "GradientSync: parameter ", i,
                  " must be a defined f32 tensor, got ",
                  p.defined() ? p.describe() : std::string("an undefined tensor"));
    LEARNER_CHECK(comm.engine() == Engine::Single || p.device() == comm.device(),
                  "GradientSync: parameter ", i, " is ", p.describe(), " but ", comm.describe(),
                  " reduces on ", comm.device().str(), "; move the model there first");
    numels.push_back(p.numel());
  }
  buckets_ = plan_buckets(numels, static_cast<int64_t>(bucket_mb * 1024.0 * 1024.0));
}

void GradientSync::average() {
  begin();
  for (Tensor* p : params_) mark_ready(p->impl());
  finish();
}

void GradientSync::begin() {
  if (params_.empty() || comm_.engine() == Engine::Single) return;  // the mean of one
  if (bucket_of_.empty()) {
    bucket_of_.assign(params_.size(), -1);
    for (size_t k = 0; k < buckets_.size(); ++k)
      for (int p : buckets_[k].params) bucket_of_[p] = static_cast<int>(k);
  }
  if (buffers_.empty())
    for (const GradBucket& b : buckets_) buffers_.push_back(Tensor::empty({b.numel}, DType::F32, params_[0]->device()));
  pending_.clear();
  for (const GradBucket& b : buckets_) pending_.push_back(static_cast<int>(b.params.size()));
  next_launch_ = 0;
  works_.clear();
  active_ = true;
}

void GradientSync::mark_ready(const TensorImpl& leaf) {
  if (!active_) return;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (&params_[i]->impl() != &leaf) continue;
    --pending_[bucket_of_[i]];
    // Start every complete bucket in order; a later complete bucket waits for the earlier.
    while (next_launch_ < buckets_.size() && pending_[next_launch_] == 0) launch(next_launch_++);
    return;
  }
}

void GradientSync::launch(size_t k) {
  LEARNER_NVTX_RANGE("gradient_bucket");
  const GradBucket& b = buckets_[k];
  const Device device = buffers_[k].device();
  float* flat = buffers_[k].data<float>();
  for (size_t j = 0; j < b.params.size(); ++j) {
    const Tensor& p = *params_[b.params[j]];
    const Tensor g = p.grad();
    const size_t nbytes = p.numel() * sizeof(float);
    if (g.defined()) {
      copy_bytes(flat + b.offsets[j], device, g.data<float>(), g.device(), nbytes);
    } else {
      zero_bytes(flat + b.offsets[j], device, nbytes);  // no gradient here: contributes zeros
    }
  }
  works_.push_back(comm_.all_reduce_async(buffers_[k], ReduceOp::Average));
}

void GradientSync::finish() {
  if (!active_) return;
  active_ = false;
  LEARNER_NVTX_RANGE("gradient_sync");
  while (next_launch_ < buckets_.size()) launch(next_launch_++);  // parameters without a gradient
  // Which parameters got a gradient on any rank (host flags; a small host collective).
  std::vector<double> has(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) has[i] = params_[i]->grad().defined() ? 1.0 : 0.0;
  if (comm_.world_size() > 1) has = sum_over_ranks(has, comm_);

  for (size_t k = 0; k < buckets_.size(); ++k) {
    works_[k]->wait();
    const GradBucket& b = buckets_[k];
    const Device device = buffers_[k].device();
    const float* flat = buffers_[k].data<float>();
    for (size_t j = 0; j < b.params.size(); ++j) {
      Tensor& p = *params_[b.params[j]];
      if (has[b.params[j]] == 0) continue;
      Tensor g = p.grad();
      if (!g.defined()) {
        g = Tensor::empty(p.shape(), DType::F32, device);
        p.set_grad(g);
      }
      copy_bytes(g.data<float>(), device, flat + b.offsets[j], device, p.numel() * sizeof(float));
    }
  }
  works_.clear();
}

namespace {

// FNV-1a over the names, shapes and dtypes: equal on every rank iff the layouts agree.
int64_t layout_hash(const std::vector<nn::NamedTensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* data, size_t n) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  for (const auto& [name, t] : tensors) {
    mix(name.data(), name.size() + 1);
    for (int64_t d : t->shape()) mix(&d, sizeof d);
    const DType dtype = t->dtype();
    mix(&dtype, sizeof dtype);
  }
  int64_t out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

}  // namespace

void broadcast_module(nn::Module& module, Communicator& comm, int root) {
  LEARNER_NVTX_RANGE("broadcast_module");
  std::vector<nn::NamedTensor> tensors = module.named_parameters();
  const std::vector<nn::NamedTensor> buffers = module.named_buffers();
  tensors.insert(tensors.end(), buffers.begin(), buffers.end());
  if (comm.world_size() == 1) return;

  const Tensor mine = Tensor::from_vector<int64_t>({layout_hash(tensors)}, {1});
  const std::vector<int64_t> all = comm.all_gather(mine).to_vector<int64_t>();
  for (int r = 0; r < comm.world_size(); ++r)
    LEARNER_CHECK(all[r] == all[root], "broadcast_module (", comm.describe(), "): rank ", r,
                  "'s model has other parameter or buffer names, shapes or dtypes than rank ",
                  root, "'s; every rank must build the same model");
  for (auto& [name, t] : tensors) comm.broadcast(*t, root);
}

std::vector<double> sum_over_ranks(const std::vector<double>& values, Communicator& comm) {
  const int64_t n = static_cast<int64_t>(values.size());
  if (comm.world_size() == 1 || n == 0) return values;
  // Doubles travel as their bit patterns (i64), so nothing is rounded to f32 on the way.
  Tensor bits = Tensor::empty({n}, DType::I64);
  std::memcpy(bits.raw_data(), values.data(), n * sizeof(double));
  const Tensor gathered = comm.all_gather(bits);  // (R * n), on the CPU
  const double* all = static_cast<const double*>(gathered.raw_data());
  std::vector<double> sums(n, 0.0);
  for (int r = 0; r < comm.world_size(); ++r)
    for (int64_t i = 0; i < n; ++i) sums[i] += all[r * n + i];
  return sums;
}

double mean_over_ranks(double value, Communicator& comm) {
  return sum_over_ranks({value}, comm)[0] / comm.world_size();
}

}  // namespace learner::dist
