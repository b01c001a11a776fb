// The whole-file digest of a clip store in HDF5's user block (docs/format.md): CRC-32 and
// length of every byte after the block, written by pack and checked by inspect.
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "data/clip_store.h"
#include "base/error.h"

namespace learner::data {
namespace {

constexpr const char* kDigestMagic = "learner-clips digest 1\n";

struct Digest {
  uint32_t crc = 0;
  unsigned long long bytes = 0;  // of the whole file, user block included
};

// CRC-32 and length of `in` from kClipStoreUserblock to its end.
Digest digest_of(std::istream& in) {
  Digest d;
  uLong crc = crc32(0L, Z_NULL, 0);
  std::vector<char> buffer(size_t{1} << 20);
  in.seekg(static_cast<std::streamoff>(kClipStoreUserblock));
  d.bytes = kClipStoreUserblock;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(n));
    d.bytes += static_cast<unsigned long long>(n);
  }
  d.crc = static_cast<uint32_t>(crc);
  return d;
}

std::string header_text(const Digest& d) {
  char text[128];
  std::snprintf(text, sizeof(text), "%scrc32 %08x\nbytes %llu\n", kDigestMagic, d.crc, d.bytes);
  return text;
}

}  // namespace

void write_clip_store_digest(const std::string& path) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  LEARNER_CHECK(file, "cannot reopen '", path, "' to write its checksum: ", std::strerror(errno));
  const Digest d = digest_of(file);
  LEARNER_CHECK(d.bytes > kClipStoreUserblock, "'", path, "' holds no HDF5 file after its user block");
  std::string block = header_text(d);
  block.resize(kClipStoreUserblock, '\0');
  file.clear();
  file.seekp(0);
  file.write(block.data(), static_cast<std::streamsize>(block.size()));
  file.flush();
  LEARNER_CHECK(file, "cannot write the checksum of '", path, "': ", std::strerror(errno));
}

DigestCheck check_clip_store_digest(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = str("cannot open '", path, "': ", std::strerror(errno));
    return DigestCheck::Mismatch;
  }
  std::string block(kClipStoreUserblock, '\0');
  in.read(block.data(), static_cast<std::streamsize>(block.size()));
  const std::string expected_magic = kDigestMagic;
  Digest stored;
  if (in.gcount() != static_cast<std::streamsize>(block.size()) || block.compare(0, expected_magic.size(), expected_magic) != 0 ||
      std::sscanf(block.c_str() + expected_magic.size(), "crc32 %8x\nbytes %llu\n", &stored.crc, &stored.bytes) != 2 ||
      block.find('\0') == std::string::npos || block.substr(0, block.find('\0')) != header_text(stored)) {
    problem = str("clip store '", path, "' is damaged: its first ", kClipStoreUserblock,
                  " bytes do not hold the checksum `learner pack` writes there");
    return DigestCheck::Missing;
  }
  in.clear();
  const Digest actual = digest_of(in);
  if (actual.bytes != stored.bytes) {
    problem = str("clip store '", path, "' is damaged: it has ", actual.bytes, " bytes but was written with ", stored.bytes,
                  actual.bytes < stored.bytes ? " (truncated)" : "");
    return DigestCheck::Mismatch;
  }
  if (actual.crc != stored.crc) {
    char text[160];
    std::snprintf(text, sizeof(text), "its bytes have CRC-32 %08x but were written with %08x", actual.crc, stored.crc);
    problem = str("clip store '", path, "' is damaged: ", text);
    return DigestCheck::Mismatch;
  }
  problem.clear();
  return DigestCheck::Match;
}

}  // namespace learner::data
