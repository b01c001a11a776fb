// Where the loader gets frames from: the scans' metadata and random access to their uint8
// frames. The clip store (ClipStoreSource) is the real one; MemorySource holds clips in memory
// (tests, and small datasets built on the fly).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/clip_store.h"

namespace learner::data {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual std::string name() const = 0;  // for messages: a path or "memory"
  virtual const std::vector<ScanRecord>& scans() const = 0;
  virtual const ScoreSpec& score_spec() const = 0;
  virtual int channels() const = 0;  // C
  virtual int height() const = 0;    // H
  virtual int width() const = 0;     // W
  // Frames `frame_indices` of scan `scan` into out (frame_indices.size(), C, H, W) uint8.
  // Must be safe to call from several threads at once.
  virtual void read_frames(size_t scan, const std::vector<int64_t>& frame_indices,
                           uint8_t* out) const = 0;
};

// A clip store file (data/clip_store.h) as a frame source.
class ClipStoreSource : public FrameSource {
 public:
  explicit ClipStoreSource(const std::string& path) : reader_(path) {}
  std::string name() const override { return reader_.path(); }
  const std::vector<ScanRecord>& scans() const override { return reader_.scans(); }
  const ScoreSpec& score_spec() const override { return reader_.score_spec(); }
  int channels() const override { return reader_.channels(); }
  int height() const override { return reader_.height(); }
  int width() const override { return reader_.width(); }
  void read_frames(size_t scan, const std::vector<int64_t>& frame_indices,
                   uint8_t* out) const override {
    reader_.read_frames(scan, frame_indices, out);
  }

 private:
  ClipStoreReader reader_;
};

class MemorySource : public FrameSource {
 public:
  MemorySource(int channels, int height, int width, ScoreSpec spec = ScoreSpec());
  // Appends a scan; frames is (record.frames, C, H, W) uint8.
  void add_scan(const ScanRecord& record, std::vector<uint8_t> frames);

  std::string name() const override { return "memory"; }
  const std::vector<ScanRecord>& scans() const override { return scans_; }
  const ScoreSpec& score_spec() const override { return spec_; }
  int channels() const override { return channels_; }
  int height() const override { return height_; }
  int width() const override { return width_; }
  void read_frames(size_t scan, const std::vector<int64_t>& frame_indices,
                   uint8_t* out) const override;

 private:
  int channels_, height_, width_;
  ScoreSpec spec_;
  std::vector<ScanRecord> scans_;
  std::vector<std::vector<uint8_t>> frames_;
};

// Every frame of every scan of `source`, decoded into memory: epochs after this one cost no
// HDF5 reads, so decompression (serialised by HDF5's global lock) stops limiting the loader.
// Needs scans x frames x C x H x W bytes (a 718-clip cohort of ~28 frames: 1 GB at 224).
std::shared_ptr<MemorySource> load_into_memory(const FrameSource& source);

}  // namespace learner::data
