// The clip loader: TSN-sampled, augmented, normalised batches of B clips from a FrameSource,
// built ahead of the trainer by worker threads and delivered in order. Every random choice
// is a pure function of (seed, epoch, position in the epoch), so the batches are the same
// bits for any number of workers; ranks see disjoint, equally long shards of one shuffle.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/frame_source.h"
#include "data/sampling.h"
#include "framework/tensor.h"

namespace learner::data {

enum class SplitFilter { Train, Val, Test, All };
SplitFilter parse_split_filter(const std::string& name);  // "train", "val", "test", "all"
bool split_matches(SplitFilter filter, Split split);

struct LoaderOptions {
  int batch_size = 8;  // B clips
  int frames = 8;      // T frames a clip
  SplitFilter split = SplitFilter::Train;
  Sampling sampling = Sampling::Train;
  bool shuffle = true;   // a new permutation of the split every epoch
  bool augment = true;   // draw a ClipAugment per clip (else the identity)
  AugmentOptions augment_options;
  bool drop_last = false;  // drop this rank's last batch when it has fewer than B clips
  uint64_t seed = 0;
  int rank = 0, world_size = 1;
  int workers = 2;   // threads building batches; 0 builds them in next()
  int prefetch = 4;  // batches built ahead of the consumer, at most

  // Shuffled, augmented, random segment sampling.
  static LoaderOptions training(SplitFilter split = SplitFilter::Train);
  // File order, no augmentation, segment centres.
  static LoaderOptions evaluation(SplitFilter split);
  // Evaluation settings on the training split: batch k is training scans k*B .. k*B+B-1 in
  // file order (to compare against an outside implementation fed the same clips).
  static LoaderOptions verification();
};

struct Batch {
  int64_t epoch = 0, index = 0;  // batch `index` of `epoch`
  Tensor x;                      // (B*T, C, H, W) f32 on the CPU, the frames of a clip contiguous
  Tensor y;                      // (B) f32 normalised targets (HS - lo) / (hi - lo)
  std::vector<float> scores;     // (B) raw scores HS
  std::vector<int64_t> scans;    // (B) indices into FrameSource::scans()
  std::vector<std::string> scan_ids, patient_ids;  // (B)
  std::vector<uint8_t> padding;  // (B) 1 for a clip repeated to pad the shard (skip in metrics)
  int64_t size() const { return static_cast<int64_t>(scans.size()); }
};

class Loader {
 public:
  Loader(std::shared_ptr<const FrameSource> source, const LoaderOptions& options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  const LoaderOptions& options() const { return options_; }
  const FrameSource& source() const { return *source_; }
  // The split's scans in file order (indices into source().scans()).
  const std::vector<int64_t>& split_scans() const { return split_scans_; }
  int64_t shard_size() const;  // clips this rank sees per epoch, padding included
  int64_t batches_per_epoch() const;

  // The epoch's order of the split over all ranks, padded to a multiple of world_size by
  // repeating its start; rank r takes positions r, r + world_size, ... (as PyTorch does).
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Builds batch `index` of `epoch` of this rank; a pure function, safe from any thread.
  Batch make_batch(int64_t epoch, int64_t index) const;

  // Starts (or restarts) delivering `epoch`; workers begin building its first batches.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch, in order; false at the end of the epoch.
  bool next(Batch& batch);

 private:
  void stop_workers();
  void worker_loop();
  Batch build_batch(int64_t epoch, int64_t index, const std::vector<int64_t>& order) const;
  Tensor take_buffer(const Shape& shape) const;

  std::shared_ptr<const FrameSource> source_;
  LoaderOptions options_;
  std::vector<int64_t> split_scans_;

  // Prefetch state, guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable work_cv_, ready_cv_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;  // epoch_order(epoch_)
  int64_t next_claim_ = 0, next_deliver_ = 0;
  std::map<int64_t, Batch> ready_;
  std::map<int64_t, std::exception_ptr> errors_;

  // Recycled batch inputs: a (B*T, C, H, W) buffer is 13 MB at 224, and fresh ones cost page
  // faults on every batch. A buffer is reused only when nothing outside the pool holds it.
  mutable std::mutex pool_mutex_;
  mutable std::vector<Tensor> pool_;
};

}  // namespace learner::data
