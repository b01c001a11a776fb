// safetensors parsing, validation and atomic writing.
#include "framework/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace learner {

namespace {

using json = nlohmann::json;
constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's bound
constexpr uint64_t kMaxElements = uint64_t{1} << 48;  // elements of one tensor, at most

const char* safetensors_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::U8: return "U8";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
  }
  return "?";
}

bool parse_dtype(const std::string& text, DType& out) {
  for (DType d : {DType::F32, DType::F16, DType::BF16, DType::U8, DType::I32, DType::I64})
    if (text == safetensors_dtype(d)) {
      out = d;
      return true;
    }
  return false;
}

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  LEARNER_CHECK(in, "cannot open '", path, "': ", std::strerror(errno));
  const std::streamsize size = in.tellg();
  std::vector<char> bytes(static_cast<size_t>(size));
  in.seekg(0);
  LEARNER_CHECK(in.read(bytes.data(), size), "cannot read '", path, "'");
  return bytes;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& path, const std::string& name, const json& info) {
  const std::string where = "'" + path + "': tensor '" + name + "'";
  LEARNER_CHECK(info.is_object() && info.contains("dtype") && info.contains("shape") &&
                    info.contains("data_offsets"),
                where, " needs dtype, shape and data_offsets in the header");
  Entry e;
  e.name = name;
  LEARNER_CHECK(info["dtype"].is_string() && parse_dtype(info["dtype"].get<std::string>(), e.dtype),
                where, " has unsupported dtype ", info["dtype"].dump(),
                " (learner reads F32, F16, BF16, U8, I32, I64)");
  LEARNER_CHECK(info["shape"].is_array(), where, " has a shape that is not a list");
  // The element count in unsigned arithmetic, refused once it passes the largest file: a
  // damaged dimension must not overflow int64 (shape_numel) or wrap around to a small size.
  uint64_t numel = 1;
  for (const json& d : info["shape"]) {
    LEARNER_CHECK(d.is_number_unsigned(), where, " has a negative or non-integer dimension in ",
                  info["shape"].dump());
    const uint64_t dim = d.get<uint64_t>();
    LEARNER_CHECK(dim <= kMaxElements && (dim == 0 || numel <= kMaxElements / dim), where, " has shape ",
                  info["shape"].dump(), ", more elements than any file holds");
    numel *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  const json& off = info["data_offsets"];
  LEARNER_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
                    off[1].is_number_unsigned(),
                where, " has data_offsets ", off.dump(), "; expected [begin, end]");
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  LEARNER_CHECK(e.begin <= e.end, where, " has data_offsets ", off.dump(), " with begin > end");
  const uint64_t expected = static_cast<uint64_t>(shape_numel(e.shape)) * dtype_size(e.dtype);
  LEARNER_CHECK(e.end - e.begin == expected, where, " holds ", e.end - e.begin, " bytes but ",
                dtype_name(e.dtype), shape_str(e.shape), " needs ", expected);
  return e;
}

void check_io(bool ok, const std::string& what, const std::string& path) {
  LEARNER_CHECK(ok, what, " '", path, "' failed: ", std::strerror(errno));
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::vector<char> bytes = read_all(path);
  LEARNER_CHECK(bytes.size() >= 8, "'", path, "' is not a safetensors file: only ", bytes.size(),
                " bytes (truncated?)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
  LEARNER_CHECK(header_len <= kMaxHeaderBytes && header_len <= bytes.size() - 8, "'", path,
                "' is corrupt or truncated: its header claims ", header_len, " bytes but the file has ",
                bytes.size(), " bytes");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::exception& e) {
    throw Error(str("'", path, "' has a corrupt safetensors header (not JSON): ", e.what()));
  }
  LEARNER_CHECK(header.is_object(), "'", path, "' has a safetensors header that is not a JSON object");

  SafetensorsFile file;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      LEARNER_CHECK(it.value().is_object(), "'", path, "': __metadata__ must be an object of strings");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        LEARNER_CHECK(m.value().is_string(), "'", path, "': __metadata__ value '", m.key(),
                      "' is not a string");
        file.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, it.key(), it.value()));
  }

  // The data buffer must be covered exactly: in bounds, no overlaps, no holes.
  const uint64_t data_size = bytes.size() - 8 - header_len;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (const Entry& e : entries) {
    LEARNER_CHECK(e.end <= data_size, "'", path, "' is truncated: tensor '", e.name, "' ends at byte ",
                  e.end, " of a ", data_size, "-byte data section");
    LEARNER_CHECK(e.begin >= covered, "'", path, "' is corrupt: tensor '", e.name,
                  "' overlaps the tensor before it");
    LEARNER_CHECK(e.begin == covered, "'", path, "' is corrupt: a hole of ", e.begin - covered,
                  " bytes before tensor '", e.name, "'");
    covered = e.end;
  }
  LEARNER_CHECK(covered == data_size, "'", path, "' has ", data_size - covered,
                " bytes after the last tensor (corrupt or not a safetensors file)");

  const char* data = bytes.data() + 8 + header_len;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    std::memcpy(t.raw_data(), data + e.begin, e.end - e.begin);
    file.tensors.emplace_back(e.name, t);
  }
  return file;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    LEARNER_CHECK(name != "__metadata__" && !header.contains(name), "write_safetensors: tensor name '",
                  name, "' is reserved or repeated");
    const uint64_t nbytes = t.nbytes();
    header[name] = {{"dtype", safetensors_dtype(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference does

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  check_io(fd >= 0, "creating", tmp);
  auto write_bytes = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int saved = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = saved;
        check_io(false, "writing", tmp);
      }
      c += w;
      n -= static_cast<size_t>(w);
    }
  };
  uint8_t len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i, n >>= 8) len[i] = static_cast<uint8_t>(n & 0xff);
  write_bytes(len, 8);
  write_bytes(text.data(), text.size());
  for (const auto& [name, t] : tensors) {
    const Tensor host = t.to(Device::cpu());
    write_bytes(host.raw_data(), host.nbytes());
  }
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    check_io(false, "saving", path);
  }
}

}  // namespace learner
