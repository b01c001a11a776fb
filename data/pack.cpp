// Pack: worker threads decode manifest rows ahead of a single writer that appends them in
// manifest order; at most a bounded number of decoded clips wait in memory.
#include "data/pack.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "data/labels.h"
#include "base/error.h"

namespace learner::data {
namespace {

struct Slot {
  bool ready = false;
  std::optional<DecodedClip> clip;     // pixels dropped once encoded
  std::optional<EncodedFrames> encoded;
  std::string error;
};

// Owns the decode threads; stops and joins them on every exit path.
class DecodePool {
 public:
  // With `encode`, workers also compress the frames for direct chunk writes.
  DecodePool(const std::vector<ManifestRow>& rows, const DecodeOptions& decode, const ClipStoreLayout* encode,
             int workers)
      : rows_(rows), decode_(decode), encode_(encode), slots_(rows.size()), ahead_(static_cast<size_t>(2 * workers + 2)) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~DecodePool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  DecodePool(const DecodePool&) = delete;
  DecodePool& operator=(const DecodePool&) = delete;

  // Waits for row i, hands over its result and lets the workers run further ahead.
  Slot take(size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return slots_[i].ready; });
    Slot slot = std::move(slots_[i]);
    slots_[i] = Slot();
    taken_ = i + 1;
    lock.unlock();
    changed_.notify_all();
    return slot;
  }

 private:
  void run() {
    for (;;) {
      size_t i = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || next_ >= rows_.size() || next_ < taken_ + ahead_; });
        if (stop_ || next_ >= rows_.size()) return;
        i = next_++;
      }
      Slot slot;
      slot.ready = true;
      try {
        const ManifestRow& row = rows_[i];
        slot.clip = decode_source(row.resolved_path, decode_, row.record.pixel_spacing);
        if (encode_ != nullptr) {
          slot.encoded = ClipStoreWriter::encode(*encode_, slot.clip->pixels.data(), slot.clip->frames);
          slot.clip->pixels = {};
        }
      } catch (const std::exception& e) {
        slot.error = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slots_[i] = std::move(slot);
      }
      changed_.notify_all();
    }
  }

  const std::vector<ManifestRow>& rows_;
  DecodeOptions decode_;
  const ClipStoreLayout* encode_;
  std::vector<Slot> slots_;
  size_t ahead_;
  size_t next_ = 0, taken_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

}  // namespace

PackResult pack_clips(const PackOptions& options, const PackProgress& progress) {
  LEARNER_CHECK(!options.out.empty(), "pack: no output file given");
  validate_score_spec(options.score_spec);
  validate_split_fractions(options.split_fractions);
  Manifest manifest = read_manifest(options.manifest, options.skip_bad);
  check_manifest_scores(manifest, options.score_spec, options.skip_bad);
  PackResult result;
  result.skipped = manifest.skipped;
  result.ignored_columns = manifest.ignored_columns;
  LEARNER_CHECK(!manifest.rows.empty(), manifest.path, " lists no scans", manifest.skipped.empty() ? "" : " that can be read");

  std::vector<std::string> patients;
  for (const ManifestRow& row : manifest.rows) patients.push_back(row.record.patient_id);
  const auto split = split_patients(patients, options.split_fractions, options.seed);

  ClipStoreLayout layout;
  layout.channels = options.decode.channels;
  layout.height = layout.width = options.decode.size;
  layout.compression = options.compression;
  layout.score_spec = options.score_spec;
  layout.split_fractions = options.split_fractions;
  layout.split_seed = options.seed;
  layout.created_by = "learner pack";
  ClipStoreWriter writer(options.out, layout);

  const int workers = options.workers > 0 ? options.workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  result.workers = workers;
  DecodePool pool(manifest.rows, options.decode, ClipStoreWriter::can_encode(layout) ? &layout : nullptr, workers);
  const size_t total = manifest.rows.size();
  for (size_t i = 0; i < total; ++i) {
    const ManifestRow& row = manifest.rows[i];
    Slot slot = pool.take(i);
    if (!slot.error.empty()) {
      const std::string message = str(manifest.path, " line ", row.line, " (scan '", row.record.scan_id, "'): ", slot.error);
      LEARNER_CHECK(options.skip_bad, message, "; fix or remove the row, or pass --skip-bad to pack the rest");
      result.skipped.push_back({row.line, message});
    } else {
      ScanRecord record = row.record;
      record.frames = slot.clip->frames;
      if (record.fps <= 0.f) record.fps = slot.clip->fps;
      record.pixel_spacing = slot.clip->pixel_spacing;
      record.split = split.at(record.patient_id);
      if (slot.encoded) writer.append_encoded(record, *slot.encoded);
      else writer.append(record, slot.clip->pixels.data());
      result.scans.push_back(record);
      result.frames += record.frames;
    }
    if (progress) progress(i + 1, total, result.frames);
  }
  LEARNER_CHECK(!result.scans.empty(), "pack: every row of ", manifest.path, " was skipped; nothing to write");
  writer.commit();
  std::stable_sort(result.skipped.begin(), result.skipped.end(),
                   [](const ManifestProblem& a, const ManifestProblem& b) { return a.line < b.line; });
  return result;
}

std::shared_ptr<MemorySource> decode_manifest(const Manifest& manifest, const DecodeOptions& decode,
                                              const ScoreSpec& spec, int workers) {
  LEARNER_CHECK(!manifest.rows.empty(), manifest.path, " lists no scans");
  auto memory = std::make_shared<MemorySource>(decode.channels, decode.size, decode.size, spec);
  if (workers <= 0) workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  DecodePool pool(manifest.rows, decode, nullptr, workers);
  for (size_t i = 0; i < manifest.rows.size(); ++i) {
    const ManifestRow& row = manifest.rows[i];
    Slot slot = pool.take(i);
    LEARNER_CHECK(slot.error.empty(), manifest.path, " line ", row.line, " (scan '", row.record.scan_id, "'): ",
                  slot.error, "; fix or remove the row");
    ScanRecord record = row.record;
    record.frames = slot.clip->frames;
    if (record.fps <= 0.f) record.fps = slot.clip->fps;
    record.pixel_spacing = slot.clip->pixel_spacing;
    record.split = Split::Test;
    memory->add_scan(record, std::move(slot.clip->pixels));
  }
  return memory;
}

}  // namespace learner::data
