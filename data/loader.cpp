// The clip loader: split filter, per-epoch shuffle, rank shards, batch assembly and the
// worker threads that build batches ahead of the consumer.
#include "data/loader.h"

#include <algorithm>
#include <utility>

#include "base/error.h"
#include "data/labels.h"
#include "framework/nvtx.h"

namespace learner::data {

namespace {

// Seed streams: the shuffle of an epoch uses position kShufflePosition, which no clip has.
constexpr uint64_t kShufflePosition = ~0ull;

const char* filter_name(SplitFilter filter) {
  switch (filter) {
    case SplitFilter::Train: return "train";
    case SplitFilter::Val: return "val";
    case SplitFilter::Test: return "test";
    case SplitFilter::All: return "all";
  }
  return "?";
}

}  // namespace

SplitFilter parse_split_filter(const std::string& name) {
  if (name == "train") return SplitFilter::Train;
  if (name == "val") return SplitFilter::Val;
  if (name == "test") return SplitFilter::Test;
  if (name == "all") return SplitFilter::All;
  throw Error(str("unknown split '", name, "': expected train, val, test or all"));
}

bool split_matches(SplitFilter filter, Split split) {
  switch (filter) {
    case SplitFilter::Train: return split == Split::Train;
    case SplitFilter::Val: return split == Split::Val;
    case SplitFilter::Test: return split == Split::Test;
    case SplitFilter::All: return true;
  }
  return false;
}

LoaderOptions LoaderOptions::training(SplitFilter split) {
  LoaderOptions o;
  o.split = split;
  return o;
}

LoaderOptions LoaderOptions::evaluation(SplitFilter split) {
  LoaderOptions o;
  o.split = split;
  o.sampling = Sampling::Eval;
  o.shuffle = false;
  o.augment = false;
  return o;
}

LoaderOptions LoaderOptions::verification() {
  LoaderOptions o = evaluation(SplitFilter::Train);
  o.workers = 0;
  return o;
}

Loader::Loader(std::shared_ptr<const FrameSource> source, const LoaderOptions& options)
    : source_(std::move(source)), options_(options) {
  LEARNER_CHECK(source_ != nullptr, "loader: no frame source");
  const LoaderOptions& o = options_;
  LEARNER_CHECK(o.batch_size >= 1, "loader: batch size must be at least 1, got ", o.batch_size);
  LEARNER_CHECK(o.frames >= 1, "loader: frames per clip must be at least 1, got ", o.frames);
  LEARNER_CHECK(o.world_size >= 1 && o.rank >= 0 && o.rank < o.world_size,
                "loader: rank ", o.rank, " is not in [0, world size ", o.world_size, ")");
  LEARNER_CHECK(o.workers >= 0, "loader: workers must be >= 0, got ", o.workers);
  LEARNER_CHECK(o.prefetch >= 1, "loader: prefetch must be at least 1 batch, got ", o.prefetch);
  if (o.augment) validate(o.augment_options);
  const std::vector<ScanRecord>& scans = source_->scans();
  for (size_t i = 0; i < scans.size(); ++i)
    if (split_matches(o.split, scans[i].split)) split_scans_.push_back(static_cast<int64_t>(i));
  LEARNER_CHECK(!split_scans_.empty(), "loader: ", source_->name(), " has no scans in split '",
                filter_name(o.split), "'");
}

Loader::~Loader() { stop_workers(); }

int64_t Loader::shard_size() const {
  const int64_t n = static_cast<int64_t>(split_scans_.size());
  return (n + options_.world_size - 1) / options_.world_size;
}

int64_t Loader::batches_per_epoch() const {
  const int64_t b = options_.batch_size;
  return options_.drop_last ? shard_size() / b : (shard_size() + b - 1) / b;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order = split_scans_;
  if (options_.shuffle) {  // Fisher-Yates from a generator every rank seeds alike
    Generator gen(derive_seed(options_.seed, static_cast<uint64_t>(epoch), kShufflePosition));
    for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
      std::swap(order[i], order[gen.randint(i + 1)]);
  }
  const size_t n = order.size();
  const size_t padded = static_cast<size_t>(shard_size()) * options_.world_size;
  for (size_t i = n; i < padded; ++i) order.push_back(order[i - n]);
  return order;
}

Batch Loader::make_batch(int64_t epoch, int64_t index) const {
  return build_batch(epoch, index, epoch_order(epoch));
}

Batch Loader::build_batch(int64_t epoch, int64_t index, const std::vector<int64_t>& order) const {
  LEARNER_NVTX_RANGE("loader_batch");
  const LoaderOptions& o = options_;
  LEARNER_CHECK(index >= 0 && index < batches_per_epoch(), "loader: batch ", index,
                " out of range (", batches_per_epoch(), " batches an epoch)");
  const int64_t first = index * o.batch_size;
  const int64_t count = std::min<int64_t>(o.batch_size, shard_size() - first);
  const int T = o.frames, C = source_->channels(), H = source_->height(), W = source_->width();
  const int64_t clip_elems = static_cast<int64_t>(T) * C * H * W;
  const ScoreSpec& spec = source_->score_spec();
  const int64_t n_split = static_cast<int64_t>(split_scans_.size());

  Batch batch;
  batch.epoch = epoch;
  batch.index = index;
  batch.x = take_buffer({count * T, C, H, W});
  std::vector<float> y(count);
  // One clip's decoded frames, reused by this thread across batches (0.8 MB at 112, 3.2 MB at 224:
  // a fresh vector each batch paid page faults and zeroing).
  thread_local std::vector<uint8_t> pixels;
  pixels.resize(static_cast<size_t>(clip_elems));
  float* x = batch.x.data<float>();
  for (int64_t i = 0; i < count; ++i) {
    // Global position of this clip in the epoch; rank r holds positions r + k * world_size.
    const int64_t position = (first + i) * o.world_size + o.rank;
    const int64_t scan = order[position];
    const ScanRecord& record = source_->scans()[scan];
    Generator gen(derive_seed(o.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(position)));
    const std::vector<int64_t> frames = tsn_indices(record.frames, T, o.sampling, &gen);
    source_->read_frames(static_cast<size_t>(scan), frames, pixels.data());
    const ClipAugment aug = o.augment ? draw_clip_augment(o.augment_options, H, W, gen) : ClipAugment();
    clip_to_input(x + i * clip_elems, pixels.data(), T, C, H, W, aug);
    y[i] = normalized_target(record.score, spec);
    batch.scores.push_back(record.score);
    batch.scans.push_back(scan);
    batch.scan_ids.push_back(record.scan_id);
    batch.patient_ids.push_back(record.patient_id);
    batch.padding.push_back(position >= n_split ? 1 : 0);
  }
  batch.y = Tensor::from_vector(y, {count});
  return batch;
}

Tensor Loader::take_buffer(const Shape& shape) const {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  for (const Tensor& t : pool_) {
    // Only the pool holds it: neither the tensor nor its storage (views, autograd captures).
    if (t.shape() == shape && t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1)
      return t;
  }
  Tensor fresh = Tensor::empty(shape, DType::F32);
  if (pool_.size() < static_cast<size_t>(options_.workers + options_.prefetch + 2)) pool_.push_back(fresh);
  return fresh;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  stopping_ = false;
}

void Loader::start_epoch(int64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  next_claim_ = 0;
  next_deliver_ = 0;
  ready_.clear();
  errors_.clear();
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

void Loader::worker_loop() {
  const int64_t total = batches_per_epoch();
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    // Claim only within the prefetch window, so memory stays bounded by `prefetch` batches.
    work_cv_.wait(lock, [&] {
      return stopping_ || (next_claim_ < total && next_claim_ < next_deliver_ + options_.prefetch);
    });
    if (stopping_) return;
    const int64_t index = next_claim_++;
    lock.unlock();
    Batch batch;
    std::exception_ptr error;
    try {
      batch = build_batch(epoch_, index, order_);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error) errors_[index] = error;
    else ready_[index] = std::move(batch);
    ready_cv_.notify_all();
  }
}

bool Loader::next(Batch& batch) {
  LEARNER_CHECK(epoch_ >= 0, "loader: call start_epoch(epoch) before next()");
  if (next_deliver_ >= batches_per_epoch()) return false;
  if (options_.workers == 0) {
    batch = build_batch(epoch_, next_deliver_++, order_);
    return true;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  ready_cv_.wait(lock, [&] { return ready_.count(next_deliver_) || errors_.count(next_deliver_); });
  auto failed = errors_.find(next_deliver_);
  if (failed != errors_.end()) {
    std::exception_ptr error = failed->second;
    errors_.erase(failed);
    ++next_deliver_;
    lock.unlock();
    work_cv_.notify_all();
    std::rethrow_exception(error);
  }
  auto it = ready_.find(next_deliver_);
  batch = std::move(it->second);
  ready_.erase(it);
  ++next_deliver_;
  lock.unlock();
  work_cv_.notify_all();
  return true;
}

}  // namespace learner::data
