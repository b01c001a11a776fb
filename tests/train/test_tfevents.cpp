// TensorBoard event files: CRC32C vectors, exact protobuf bytes, a C++ reader that parses our
// files back, and tests/tfevents/read_tfevents.py (an independent Python reader) as cross-check.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"
#include "train/tfevents.h"

using namespace learner;
using namespace learner::train;
namespace fs = std::filesystem;

namespace {

// test::TempDir, seen as an fs::path.
struct TempDir {
  test::TempDir dir{"tfevents"};
  fs::path path = dir.path();
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

uint64_t read_le(const std::string& s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

uint64_t read_varint(const std::string& s, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    REQUIRE(pos < s.size());
    const uint8_t b = static_cast<uint8_t>(s[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

struct Field {
  uint32_t number = 0, wire = 0;
  uint64_t varint = 0;
  std::string bytes;  // fixed64 / fixed32 / length-delimited contents
};

std::vector<Field> parse_message(const std::string& s) {
  std::vector<Field> fields;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint64_t key = read_varint(s, pos);
    Field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    if (f.wire == 0) {
      f.varint = read_varint(s, pos);
    } else {
      const size_t n = f.wire == 1 ? 8 : f.wire == 5 ? 4 : f.wire == 2 ? read_varint(s, pos) : SIZE_MAX;
      REQUIRE_MESSAGE(n != SIZE_MAX, "wire type ", f.wire);
      REQUIRE(pos + n <= s.size());
      f.bytes = s.substr(pos, n);
      pos += n;
    }
    fields.push_back(f);
  }
  return fields;
}

// Splits a TFRecord file into payloads, checking both masked CRCs of every record.
std::vector<std::string> read_records(const std::string& data) {
  std::vector<std::string> payloads;
  size_t pos = 0;
  while (pos < data.size()) {
    REQUIRE(pos + 12 <= data.size());
    const uint64_t length = read_le(data, pos, 8);
    CHECK(read_le(data, pos + 8, 4) == mask_crc32c(crc32c(data.data() + pos, 8)));
    REQUIRE(pos + 12 + length + 4 <= data.size());
    const std::string payload = data.substr(pos + 12, length);
    CHECK(read_le(data, pos + 12 + length, 4) == mask_crc32c(crc32c(payload.data(), payload.size())));
    payloads.push_back(payload);
    pos += 12 + length + 4;
  }
  return payloads;
}

struct Scalar {
  double wall_time;
  int64_t step;
  std::string tag;
  float value;
};

Scalar decode_scalar_event(const std::string& payload) {
  Scalar s{};
  int summaries = 0;
  for (const Field& f : parse_message(payload)) {
    if (f.number == 1 && f.wire == 1) std::memcpy(&s.wall_time, f.bytes.data(), 8);
    if (f.number == 2 && f.wire == 0) s.step = static_cast<int64_t>(f.varint);
    if (f.number == 5 && f.wire == 2) {
      ++summaries;
      const std::vector<Field> summary = parse_message(f.bytes);
      REQUIRE(summary.size() == 1);
      CHECK(summary[0].number == 1);
      for (const Field& v : parse_message(summary[0].bytes)) {
        if (v.number == 1 && v.wire == 2) s.tag = v.bytes;
        if (v.number == 2 && v.wire == 5) std::memcpy(&s.value, v.bytes.data(), 4);
      }
    }
  }
  CHECK(summaries == 1);
  return s;
}

}  // namespace

TEST_CASE("crc32c: known vectors (RFC 3720 B.4) and continuation") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  CHECK(crc32c("", 0) == 0u);
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  CHECK(crc32c(zeros.data(), 32) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), 32) == 0x62A8AB43u);
  CHECK(crc32c(up.data(), 32) == 0x46DD794Eu);
  CHECK(crc32c(down.data(), 32) == 0x113FDB5Cu);
  CHECK(crc32c("6789", 4, crc32c("12345", 5)) == 0xE3069283u);
  CHECK(mask_crc32c(0) == 0xa282ead8u);
  CHECK(mask_crc32c(0x00008000u) == 0xa282ead9u);  // bit 15 rotates to bit 0
}

TEST_CASE("tfevents: exact bytes of a scalar event and a record") {
  const std::string event = encode_scalar_event(1.5, 3, "loss", 0.25f);
  const std::string expected("\x09\x00\x00\x00\x00\x00\x00\xf8\x3f"  // wall_time 1.5
                             "\x10\x03"                               // step 3
                             "\x2a\x0d"                               // summary, 13 bytes
                             "\x0a\x0b"                               // value, 11 bytes
                             "\x0a\x04loss"                           // tag
                             "\x15\x00\x00\x80\x3e",                  // simple_value 0.25
                             26);
  CHECK(event == expected);
  const std::string version = encode_file_version_event(2.0);
  CHECK(version == std::string("\x09\x00\x00\x00\x00\x00\x00\x00\x40\x1a\x0d" "brain.Event:2", 24));
  // Multi-byte varints: step 300 = 0xac 0x02; step -1 = ten bytes.
  CHECK(encode_scalar_event(0, 300, "a", 0).substr(9, 3) == std::string("\x10\xac\x02"));
  CHECK(encode_scalar_event(0, -1, "a", 0).substr(9, 11) ==
        std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11));
  const std::string record = frame_record(event);
  REQUIRE(record.size() == 8 + 4 + event.size() + 4);
  CHECK(read_le(record, 0, 8) == event.size());
  CHECK(record.substr(12, event.size()) == event);
}

TEST_CASE("tfevents: EventWriter's file parses back, and Python reads it independently") {
  TempDir dir;
  std::string path;
  const std::string long_tag(200, 'x');  // a length that needs a two-byte varint
  const std::vector<Scalar> written = {{1e9 + 0.25, 0, "pretrain/loss", 1.75f},
                                       {1e9 + 0.5, 1, "pretrain/loss", 1.5f},
                                       {1e9 + 1.0, 1234567, "val/spearman", -0.125f},
                                       {1e9 + 2.0, -5, long_tag, 3e-8f}};
  {
    EventWriter writer(dir.path.string());
    path = writer.path();
    for (const Scalar& s : written) writer.add_scalar(s.tag, s.value, s.step, s.wall_time);
    // Flushed after each write: the file is complete before the writer closes.
    CHECK(read_records(read_bytes(path)).size() == written.size() + 1);
    writer.add_scalar("now", 2.f, 9);
  }
  const std::string name = fs::path(path).filename().string();
  CHECK(name.rfind("events.out.tfevents.", 0) == 0);
  const double stamp = std::atof(name.substr(std::strlen("events.out.tfevents.")).c_str());
  CHECK(std::fabs(stamp - unix_time_now()) < 60);

  const std::vector<std::string> payloads = read_records(read_bytes(path));
  REQUIRE(payloads.size() == written.size() + 2);
  const std::vector<Field> first = parse_message(payloads[0]);
  REQUIRE(first.size() == 2);
  CHECK(first[1].number == 3);
  CHECK(first[1].bytes == "brain.Event:2");
  for (size_t i = 0; i < written.size(); ++i) {
    const Scalar s = decode_scalar_event(payloads[i + 1]);
    CHECK(s.wall_time == written[i].wall_time);
    CHECK(s.step == written[i].step);
    CHECK(s.tag == written[i].tag);
    CHECK(s.value == written[i].value);
  }
  CHECK(std::fabs(decode_scalar_event(payloads.back()).wall_time - unix_time_now()) < 60);

  // The independent reader: its own CRC32C, framing and protobuf decoding.
  const std::string script = std::string(LEARNER_SOURCE_DIR) + "/tests/tfevents/read_tfevents.py";
  FILE* pipe = ::popen(("/usr/bin/python3 " + script + " " + path).c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  REQUIRE(::pclose(pipe) == 0);
  const nlohmann::json j = nlohmann::json::parse(out);
  CHECK(j.at("file_version") == "brain.Event:2");
  const nlohmann::json& scalars = j.at("scalars");
  REQUIRE(scalars.size() == written.size() + 1);
  for (size_t i = 0; i < written.size(); ++i) {
    CHECK(scalars[i].at("wall_time").get<double>() == written[i].wall_time);
    CHECK(scalars[i].at("step").get<int64_t>() == written[i].step);
    CHECK(scalars[i].at("tag").get<std::string>() == written[i].tag);
    CHECK(scalars[i].at("value").get<float>() == written[i].value);
  }

  // The Python reader does check: one flipped payload byte fails it.
  std::string data = read_bytes(path);
  data[data.size() - 6] ^= 0x01;
  const std::string corrupt = (dir.path / "corrupt.tfevents").string();
  std::ofstream(corrupt, std::ios::binary) << data;
  const std::string cmd = "/usr/bin/python3 " + script + " " + corrupt + " >/dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) != 0);
}

TEST_CASE("tfevents: two writers in one folder never share a file; a missing folder is an error") {
  TempDir dir;
  EventWriter a(dir.path.string()), b(dir.path.string());
  CHECK(a.path() != b.path());
  a.add_scalar("a", 1.f, 0);
  b.add_scalar("b", 2.f, 0);
  CHECK(read_records(read_bytes(a.path())).size() == 2);
  CHECK(read_records(read_bytes(b.path())).size() == 2);
  CHECK_THROWS_WITH_AS(EventWriter((dir.path / "missing").string()), doctest::Contains("cannot create"), Error);
}
