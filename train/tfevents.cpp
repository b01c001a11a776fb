// TensorBoard scalar event files: CRC32C, hand-encoded protobuf fields, TFRecord framing.
#include "train/tfevents.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "base/error.h"

namespace learner::train {

namespace {

std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

// Protobuf wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, uint32_t wire_type) { put_varint(out, (field << 3) | wire_type); }

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
}

void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed64);
  put_le(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed32);
  put_le(out, bits, 4);
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc32c_table();
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::string encode_file_version_event(double wall_time) {
  std::string event;
  put_double(event, 1, wall_time);
  put_bytes(event, 3, "brain.Event:2");
  return event;
}

std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string summary_value;
  put_bytes(summary_value, 1, tag);
  put_float(summary_value, 2, value);
  std::string summary;
  put_bytes(summary, 1, summary_value);
  std::string event;
  put_double(event, 1, wall_time);
  put_key(event, 2, kVarint);
  put_varint(event, static_cast<uint64_t>(step));  // int64: negatives as 10-byte two's complement
  put_bytes(event, 5, summary);
  return event;
}

std::string frame_record(const std::string& payload) {
  std::string record;
  put_le(record, payload.size(), 8);
  put_le(record, mask_crc32c(crc32c(record.data(), 8)), 4);
  record += payload;
  put_le(record, mask_crc32c(crc32c(payload.data(), payload.size())), 4);
  return record;
}

double unix_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EventWriter::EventWriter(const std::string& dir) {
  const double now = unix_time_now();
  const std::string base = dir + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + hostname();
  for (int attempt = 0;; ++attempt) {
    const std::string candidate = attempt == 0 ? base : base + "." + std::to_string(attempt);
    // O_EXCL: never truncate an event file another writer (or an earlier run) owns.
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      file_ = ::fdopen(fd, "wb");
      if (file_ == nullptr) ::close(fd);
      LEARNER_CHECK(file_ != nullptr, "tfevents: cannot open ", candidate, ": ", std::strerror(errno));
      path_ = candidate;
      break;
    }
    LEARNER_CHECK(errno == EEXIST && attempt < 1000, "tfevents: cannot create ", candidate, ": ",
                  std::strerror(errno), " (does the folder ", dir, " exist and is it writable?)");
  }
  write_record(encode_file_version_event(now));
}

EventWriter::~EventWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventWriter::add_scalar(const std::string& tag, float value, int64_t step) {
  add_scalar(tag, value, step, unix_time_now());
}

void EventWriter::add_scalar(const std::string& tag, float value, int64_t step, double wall_time) {
  write_record(encode_scalar_event(wall_time, step, tag, value));
}

void EventWriter::write_record(const std::string& payload) {
  const std::string record = frame_record(payload);
  const bool ok = std::fwrite(record.data(), 1, record.size(), file_) == record.size() && std::fflush(file_) == 0;
  LEARNER_CHECK(ok, "tfevents: writing ", path_, " failed: ", std::strerror(errno));
}

}  // namespace learner::train
