// Damaged clip stores (issue 10, part 3): copies of a small store with bit flips, truncation
// and zeroed blocks must make `learner inspect` say "damaged" and exit 1, never crash; a
// damaged frame chunk met by the loader must stop it with the scan id; version 1 is refused.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <numeric>

#include "data/clip_store.h"
#include "data/clip_store_writer.h"
#include "data/frame_source.h"
#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "data/loader.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"

using namespace learner;
using namespace learner::data;

namespace {

constexpr int kSide = 24;
constexpr int64_t kFramesPerScan = 5;
constexpr int kScans = 4;

// A small store written the way `learner pack` writes one (compressed off the writer thread).
void make_store(const std::string& path) {
  ClipStoreLayout layout;
  layout.channels = 1;
  layout.height = kSide;
  layout.width = kSide;
  ClipStoreWriter writer(path, layout);
  for (int i = 0; i < kScans; ++i) {
    ScanRecord r;
    r.patient_id = "patient-" + std::to_string(i / 2);
    r.scan_id = "scan-" + std::to_string(i);
    r.order = i % 2;
    r.date = "2024-01-0" + std::to_string(i + 1);
    r.score = 100.f + 50.f * static_cast<float>(i);
    r.source_path = "clips/" + std::to_string(i) + ".mp4";
    r.modality = "lus";
    r.frames = kFramesPerScan;
    r.fps = 20.f;
    r.pixel_spacing = 0.5f;
    r.split = i < 2 ? Split::Train : Split::Val;
    const std::vector<uint8_t> frames = test::pattern_frames(kFramesPerScan * kSide * kSide, 40 + i);
    writer.append_encoded(r, ClipStoreWriter::encode(layout, frames.data(), r.frames));
  }
  writer.commit();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Damaged {
  std::string name;
  std::vector<uint8_t> bytes;
};

// 40 deterministic copies: 16 single bit flips and 8 copies with 8 flips (fixed seeds),
// 8 truncations, 8 zeroed 256-byte blocks (one at the superblock, 7 at seeded offsets).
std::vector<Damaged> damaged_copies(const std::vector<uint8_t>& good) {
  std::vector<Damaged> copies;
  const uint64_t size = good.size();
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    uint64_t state = seed;
    Damaged d{"bit flips, seed " + std::to_string(seed), good};
    const int flips = seed <= 16 ? 1 : 8;
    for (int k = 0; k < flips; ++k) {
      const uint64_t r = splitmix64(state);
      const uint64_t at = r % size;
      d.bytes[at] ^= static_cast<uint8_t>(1u << ((r >> 32) % 8));
      d.name += " @" + std::to_string(at);
    }
    copies.push_back(std::move(d));
  }
  for (uint64_t k = 1; k <= 7; ++k) {
    const uint64_t keep = size * k / 8;
    copies.push_back({"truncated to " + std::to_string(keep) + " bytes", std::vector<uint8_t>(good.begin(), good.begin() + keep)});
  }
  copies.push_back({"last byte cut", std::vector<uint8_t>(good.begin(), good.end() - 1)});
  for (uint64_t seed = 0; seed < 8; ++seed) {
    uint64_t state = 1000 + seed;
    const uint64_t at = seed == 0 ? 0 : splitmix64(state) % (size - 256);
    Damaged d{"256 zero bytes at " + std::to_string(at), good};
    std::fill(d.bytes.begin() + at, d.bytes.begin() + at + 256, 0);
    copies.push_back(std::move(d));
  }
  return copies;
}

// The file offset of the chunk holding frame `frame` of /frames (found among all chunks by its
// logical offset). HDF5 counts addresses from the end of the user block.
haddr_t chunk_address(const std::string& path, hsize_t frame) {
  h5::quiet_errors();
  h5::File f(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
  h5::Dataset ds(H5_CHECK(H5Dopen2(f.get(), "frames", H5P_DEFAULT)));
  h5::Space space(H5_CHECK(H5Dget_space(ds.get())));
  hsize_t chunks = 0;
  H5_CHECK(H5Dget_num_chunks(ds.get(), space.get(), &chunks));
  for (hsize_t i = 0; i < chunks; ++i) {
    hsize_t offset[4] = {0, 0, 0, 0};
    unsigned mask = 0;
    haddr_t addr = 0;
    hsize_t bytes = 0;
    H5_CHECK(H5Dget_chunk_info(ds.get(), space.get(), i, offset, &mask, &addr, &bytes));
    if (offset[0] == frame) {
      REQUIRE(bytes > 8);
      return addr + kClipStoreUserblock;
    }
  }
  FAIL("no chunk holds frame ", frame);
  return 0;
}

}  // namespace

TEST_CASE("a damaged clip store makes learner inspect say 'damaged' and exit 1, never crash") {
  test::TempDir dir("clipstore_damage");
  const std::string good = dir / "good.h5";
  make_store(good);
  const test::CommandResult ok = test::run_command(test::learner_binary() + " inspect " + good);
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  const std::vector<uint8_t> bytes = read_bytes(good);
  // The newest superblock (version 2 or 3, with a checksum) right after the signature.
  REQUIRE(bytes.size() > 9);
  CHECK(bytes[8] >= 2);

  int n = 0;
  for (const Damaged& d : damaged_copies(bytes)) {
    CAPTURE(d.name);
    const std::string path = dir / ("copy" + std::to_string(n++) + ".h5");
    write_bytes(path, d.bytes);
    const test::CommandResult r = test::run_command(test::learner_binary() + " inspect " + path);
    // run_command gives -1 for a signal (a crash): must be a clean exit 1.
    CHECK_MESSAGE(r.exit_code == 1, r.output);
    CHECK_MESSAGE(r.output.find("damaged") != std::string::npos, r.output);
  }
  CHECK(n == 40);
}

TEST_CASE("a damaged frame chunk stops the loader with the scan id, never hands back its bytes") {
  test::TempDir dir("clipstore_chunk");
  const std::string path = dir / "clips.h5";
  make_store(path);
  // Frame 2 of scan 2 is row 2 * 5 + 2 of /frames; flip one bit in the middle of its chunk.
  const haddr_t addr = chunk_address(path, 2 * kFramesPerScan + 2);
  std::vector<uint8_t> bytes = read_bytes(path);
  REQUIRE(addr + 8 < bytes.size());
  bytes[addr + 5] ^= 0x10;
  write_bytes(path, bytes);

  auto source = std::make_shared<ClipStoreSource>(path);  // the metadata is intact
  std::vector<uint8_t> frame(kSide * kSide);
  source->read_frames(2, {1}, frame.data());
  CHECK_THROWS_WITH_AS(source->read_frames(2, {2}, frame.data()),
                       doctest::Contains("is damaged: frame 2 of scan 2 ('scan-2') does not read back"), Error);

  // Training reads through the loader's worker threads: the error reaches next() with the scan.
  LoaderOptions o = LoaderOptions::evaluation(SplitFilter::All);
  o.batch_size = 1;
  o.frames = static_cast<int>(kFramesPerScan);  // every frame of every scan
  o.workers = 2;
  Loader loader(source, o);
  loader.start_epoch(0);
  Batch batch;
  std::string error;
  int delivered = 0;
  try {
    while (loader.next(batch)) ++delivered;
  } catch (const Error& e) {
    error = e.what();
  }
  CHECK(delivered == 2);  // scans 0 and 1, then the damaged scan 2 stops the epoch
  CHECK(error.find("'scan-2'") != std::string::npos);
  CHECK(error.find("damaged") != std::string::npos);
}

TEST_CASE("version 1 clip stores are refused with the command that re-packs them") {
  test::TempDir dir("clipstore_v1");
  const std::string path = dir / "old.h5";
  {
    h5::quiet_errors();
    h5::File f(H5_CHECK(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    h5::write_attribute(f.get(), "format", std::string(kClipStoreFormat));  // variable-length, as v1 wrote
    h5::write_attribute<int32_t>(f.get(), "format_version", 1);
  }
  CHECK_THROWS_WITH_AS(ClipStoreReader{path}, doctest::Contains("is a version 1 clip store"), Error);
  CHECK_THROWS_WITH_AS(ClipStoreReader{path}, doctest::Contains("learner pack --manifest"), Error);
  const test::CommandResult r = test::run_command(test::learner_binary() + " inspect " + path);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("Re-pack it with this build") != std::string::npos);
}
