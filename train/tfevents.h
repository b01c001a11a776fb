// A TensorBoard event-file writer of our own, for scalars: TFRecord framing (length, masked
// CRC32C, bytes, masked CRC32C) around Event protobufs encoded by hand. docs/report.md has the
// byte layout; tests/tfevents/read_tfevents.py reads it back independently.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace learner::train {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven in software.
// crc32c("123456789") == 0xE3069283. `crc` continues a previous call (0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
// TFRecord's mask, so that a CRC of data holding CRCs stays well distributed.
uint32_t mask_crc32c(uint32_t crc);  // ((crc >> 15) | (crc << 17)) + 0xa282ead8

// Protobuf payloads (tensorflow/core/util/event.proto, summary.proto).
// Event{wall_time (1, double), file_version (3, string)}.
std::string encode_file_version_event(double wall_time);
// Event{wall_time (1), step (2, int64), summary (5) = Summary{value (1) = Value{tag (1, string),
// simple_value (2, float)}}}.
std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value);
// One TFRecord: u64 length (LE), u32 masked crc32c(length bytes), the payload, u32 masked crc32c(payload).
std::string frame_record(const std::string& payload);

// Writes DIR/events.out.tfevents.<unix time>.<hostname>; if that name exists (two writers in
// the same second), ".1", ".2", ... is appended, so an earlier file is never overwritten.
// The first record is the file_version event "brain.Event:2". Every write is flushed.
// I/O errors throw learner::Error naming the file.
class EventWriter {
 public:
  explicit EventWriter(const std::string& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  void add_scalar(const std::string& tag, float value, int64_t step);  // wall time: now
  void add_scalar(const std::string& tag, float value, int64_t step, double wall_time);
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Seconds since the Unix epoch, with sub-second resolution.
double unix_time_now();

}  // namespace learner::train
