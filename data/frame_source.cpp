// The in-memory frame source.
#include "data/frame_source.h"

#include <cstring>

#include "base/error.h"

namespace learner::data {

MemorySource::MemorySource(int channels, int height, int width, ScoreSpec spec)
    : channels_(channels), height_(height), width_(width), spec_(std::move(spec)) {
  LEARNER_CHECK(channels == 1 || channels == 3, "MemorySource: channels must be 1 or 3, got ",
                channels);
  LEARNER_CHECK(height > 0 && width > 0, "MemorySource: bad frame size ", height, " x ", width);
}

void MemorySource::add_scan(const ScanRecord& record, std::vector<uint8_t> frames) {
  const size_t frame_bytes = static_cast<size_t>(channels_) * height_ * width_;
  LEARNER_CHECK(record.frames >= 1 && frames.size() == record.frames * frame_bytes,
                "MemorySource: scan '", record.scan_id, "' declares ", record.frames,
                " frames but holds ", frames.size(), " bytes (", frame_bytes, " per frame)");
  scans_.push_back(record);
  frames_.push_back(std::move(frames));
}

void MemorySource::read_frames(size_t scan, const std::vector<int64_t>& frame_indices,
                               uint8_t* out) const {
  LEARNER_CHECK(scan < scans_.size(), "MemorySource: scan ", scan, " out of range (",
                scans_.size(), " scans)");
  const size_t frame_bytes = static_cast<size_t>(channels_) * height_ * width_;
  for (size_t i = 0; i < frame_indices.size(); ++i) {
    const int64_t f = frame_indices[i];
    LEARNER_CHECK(f >= 0 && f < scans_[scan].frames, "MemorySource: frame ", f,
                  " out of range for scan '", scans_[scan].scan_id, "' of ", scans_[scan].frames,
                  " frames");
    std::memcpy(out + i * frame_bytes, frames_[scan].data() + f * frame_bytes, frame_bytes);
  }
}

std::shared_ptr<MemorySource> load_into_memory(const FrameSource& source) {
  auto memory = std::make_shared<MemorySource>(source.channels(), source.height(), source.width(),
                                               source.score_spec());
  const size_t frame_bytes = static_cast<size_t>(source.channels()) * source.height() * source.width();
  for (size_t i = 0; i < source.scans().size(); ++i) {
    const ScanRecord& record = source.scans()[i];
    std::vector<int64_t> all(record.frames);
    for (int64_t f = 0; f < record.frames; ++f) all[f] = f;
    std::vector<uint8_t> frames(all.size() * frame_bytes);
    source.read_frames(i, all, frames.data());
    memory->add_scan(record, std::move(frames));
  }
  return memory;
}

}  // namespace learner::data
