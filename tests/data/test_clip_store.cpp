// The clip store: writer -> reader round trips of frames and metadata, h5py reads the file,
// failed writes leave nothing behind, and damaged files give clear errors.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <numeric>

#include "data/clip_store.h"
#include "data/clip_store_writer.h"
#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"

using namespace learner;
using namespace learner::data;

namespace {

struct Fixture {
  ClipStoreLayout layout;
  std::vector<ScanRecord> scans;
  std::vector<std::vector<uint8_t>> frames;  // per scan, (F, C, H, W)
};

Fixture make_fixture(Compression compression) {
  Fixture fx;
  fx.layout.channels = 3;
  fx.layout.height = 5;
  fx.layout.width = 7;
  fx.layout.compression = compression;
  fx.layout.score_spec.lo = 0.f;
  fx.layout.score_spec.hi = 30.f;
  fx.layout.score_spec.edges = {};
  fx.layout.score_spec.band = 2.5f;
  fx.layout.score_spec.higher_is_better = false;
  fx.layout.split_fractions = {0.5, 0.3, 0.2};
  fx.layout.split_seed = 77;
  const int64_t counts[] = {4, 1, 6};
  const Split splits[] = {Split::Train, Split::Test, Split::Val};
  for (int i = 0; i < 3; ++i) {
    ScanRecord r;
    r.patient_id = i == 1 ? "P-Ü1" : "P0";  // UTF-8 survives
    r.scan_id = "scan," + std::to_string(i);
    r.order = 3 - i;
    r.date = i == 0 ? "2021-03-04" : "";
    r.score = 10.5f + static_cast<float>(i);
    r.source_path = "clips/" + std::to_string(i) + ".mp4";
    r.modality = i == 2 ? "mri" : "lus";
    r.frames = counts[i];
    r.fps = i == 0 ? 24.f : 0.f;
    r.pixel_spacing = 0.25f * static_cast<float>(i);
    r.split = splits[i];
    fx.scans.push_back(r);
    fx.frames.push_back(test::pattern_frames(static_cast<size_t>(counts[i]) * 3 * 5 * 7, 100 + i));
  }
  return fx;
}

void write_fixture(const Fixture& fx, const std::string& path) {
  ClipStoreWriter writer(path, fx.layout);
  for (size_t i = 0; i < fx.scans.size(); ++i) writer.append(fx.scans[i], fx.frames[i].data());
  CHECK(writer.frame_count() == 11);
  writer.commit();
}

}  // namespace

TEST_CASE("clip store round trip keeps every frame and every metadata field") {
  for (Compression compression : {Compression::Deflate, Compression::None}) {
    CAPTURE(compression_name(compression));
    test::TempDir dir("clipstore");
    const std::string path = dir / "clips.h5";
    const Fixture fx = make_fixture(compression);
    write_fixture(fx, path);
    CHECK(test::list_dir(dir.path()) == std::vector<std::string>{"clips.h5"});  // no temporary left

    const ClipStoreReader reader(path);
    CHECK(reader.path() == path);
    CHECK(reader.channels() == 3);
    CHECK(reader.height() == 5);
    CHECK(reader.width() == 7);
    CHECK(reader.score_spec().hi == 30.f);
    CHECK(reader.score_spec().edges.empty());
    CHECK(reader.score_spec().band == 2.5f);
    CHECK_FALSE(reader.score_spec().higher_is_better);
    REQUIRE(reader.scans().size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      const ScanRecord& a = reader.scans()[i];
      const ScanRecord& b = fx.scans[i];
      CHECK(a.patient_id == b.patient_id);
      CHECK(a.scan_id == b.scan_id);
      CHECK(a.order == b.order);
      CHECK(a.date == b.date);
      CHECK(a.score == b.score);
      CHECK(a.source_path == b.source_path);
      CHECK(a.modality == b.modality);
      CHECK(a.frames == b.frames);
      CHECK(a.fps == b.fps);
      CHECK(a.pixel_spacing == b.pixel_spacing);
      CHECK(a.split == b.split);
      // All frames, in a scrambled order with a repeat.
      std::vector<int64_t> idx(static_cast<size_t>(b.frames));
      std::iota(idx.rbegin(), idx.rend(), 0);
      idx.push_back(0);
      const size_t frame_bytes = 3 * 5 * 7;
      std::vector<uint8_t> out(idx.size() * frame_bytes);
      reader.read_frames(i, idx, out.data());
      for (size_t k = 0; k < idx.size(); ++k) {
        const uint8_t* want = fx.frames[i].data() + static_cast<size_t>(idx[k]) * frame_bytes;
        CHECK_MESSAGE(std::equal(want, want + frame_bytes, out.data() + k * frame_bytes),
                      "scan ", i, " frame ", idx[k]);
      }
    }
    std::vector<uint8_t> one(3 * 5 * 7);
    CHECK_THROWS_WITH_AS(reader.read_frames(1, {1}, one.data()),
                         doctest::Contains("frame 1 out of range for scan 1"), Error);
    CHECK_THROWS_WITH_AS(reader.read_frames(3, {0}, one.data()), doctest::Contains("scan 3 out of range"), Error);
  }
}

TEST_CASE("h5py reads a clip store without our code") {
  test::TempDir dir("clipstore_h5py");
  const std::string path = dir / "clips.h5";
  const Fixture fx = make_fixture(Compression::Deflate);
  write_fixture(fx, path);
  const test::CommandResult run = test::run_command(
      "/usr/bin/python3 " LEARNER_SOURCE_DIR "/tests/python/read_clip_store.py " + path);
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const nlohmann::json j = nlohmann::json::parse(run.output);
  CHECK(j["format"] == "learner-clips");
  CHECK(j["format_version"] == 2);
  CHECK(j["fletcher32"] == true);
  CHECK(j["scans_fletcher32"] == true);
  CHECK(j["frames_shape"] == nlohmann::json({11, 3, 5, 7}));
  CHECK(j["frames_dtype"] == "uint8");
  CHECK(j["chunks"] == nlohmann::json({1, 3, 5, 7}));
  CHECK(j["compression"] == "gzip");
  CHECK(j["score"] == nlohmann::json({0.0, 30.0, 0, nlohmann::json::array(), 2.5}));
  CHECK(j["split_seed"] == 77);
  REQUIRE(j["scans"].size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const auto& s = j["scans"][i];
    const ScanRecord& r = fx.scans[i];
    CHECK(s["patient_id"] == r.patient_id);
    CHECK(s["scan_id"] == r.scan_id);
    CHECK(s["order"] == r.order);
    CHECK(s["date"] == r.date);
    CHECK(s["score"].get<float>() == r.score);
    CHECK(s["source_path"] == r.source_path);
    CHECK(s["modality"] == r.modality);
    CHECK(s["frames"] == r.frames);
    CHECK(s["split"] == static_cast<int>(r.split));
    int64_t sum = 0, weighted = 0;
    for (size_t k = 0; k < fx.frames[i].size(); ++k) {
      sum += fx.frames[i][k];
      weighted += static_cast<int64_t>(fx.frames[i][k]) * static_cast<int64_t>(k % 251 + 1);
    }
    CHECK(s["pixel_sum"] == sum);
    CHECK(s["weighted_sum"] == weighted);
  }
}

TEST_CASE("an uncommitted clip store leaves no file behind") {
  test::TempDir dir("clipstore_abort");
  const Fixture fx = make_fixture(Compression::Deflate);
  {
    ClipStoreWriter writer(dir / "clips.h5", fx.layout);
    writer.append(fx.scans[0], fx.frames[0].data());
    CHECK(test::file_exists(writer.temporary_path()));
    ScanRecord empty = fx.scans[1];
    empty.frames = 0;
    CHECK_THROWS_WITH_AS(writer.append(empty, nullptr), doctest::Contains("has no frames"), Error);
  }
  CHECK(test::list_dir(dir.path()).empty());
  CHECK_THROWS_WITH_AS(ClipStoreWriter(dir / "missing/clips.h5", fx.layout),
                       doctest::Contains("check that the folder exists"), Error);
  ClipStoreLayout bad = fx.layout;
  bad.channels = 2;
  CHECK_THROWS_WITH_AS(ClipStoreWriter(dir / "clips.h5", bad), doctest::Contains("channels must be 1 or 3"), Error);
  CHECK(test::list_dir(dir.path()).empty());
}

TEST_CASE("damaged or foreign files give clear errors") {
  test::TempDir dir("clipstore_bad");
  CHECK_THROWS_WITH_AS(ClipStoreReader(dir / "none.h5"), doctest::Contains("cannot open clip store"), Error);
  test::write_text(dir / "text.h5", "not hdf5 at all");
  CHECK_THROWS_WITH_AS(ClipStoreReader(dir / "text.h5"), doctest::Contains("is not an HDF5 file"), Error);
  {
    h5::quiet_errors();
    h5::File f(H5_CHECK(H5Fcreate((dir / "foreign.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    h5::write_attribute(f.get(), "format", std::string("something-else"));
  }
  CHECK_THROWS_WITH_AS(ClipStoreReader(dir / "foreign.h5"), doctest::Contains("is not a learner clip store"), Error);

  const Fixture fx = make_fixture(Compression::None);
  const std::string path = dir / "clips.h5";
  write_fixture(fx, path);
  {
    h5::File f(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)));
    H5_CHECK(H5Adelete(f.get(), "format_version"));
    h5::write_attribute<int32_t>(f.get(), "format_version", 99);
  }
  CHECK_THROWS_WITH_AS(ClipStoreReader{path}, doctest::Contains("format version 99"), Error);
  write_fixture(fx, path);
  {
    h5::File f(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)));
    H5_CHECK(H5Ldelete(f.get(), "scans/fps", H5P_DEFAULT));
  }
  CHECK_THROWS_WITH_AS(ClipStoreReader{path}, doctest::Contains("missing dataset 'scans/fps'"), Error);
  // The HDF5 macro reports where and what.
  CHECK_THROWS_WITH_AS(H5_CHECK(H5Fopen((dir / "none.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)),
                       doctest::Contains("HDF5 call failed at"), Error);
}

TEST_CASE("frames compressed off the writer thread read back like HDF5's own deflate filter") {
  test::TempDir dir("clipstore_encoded");
  Fixture fx = make_fixture(Compression::Deflate);
  fx.frames[0].assign(fx.frames[0].size(), 7);  // one compressible scan, two incompressible ones
  write_fixture(fx, dir / "filter.h5");
  REQUIRE(ClipStoreWriter::can_encode(fx.layout));
  {
    ClipStoreWriter writer(dir / "direct.h5", fx.layout);
    for (size_t i = 0; i < fx.scans.size(); ++i) {
      writer.append_encoded(fx.scans[i], ClipStoreWriter::encode(fx.layout, fx.frames[i].data(), fx.scans[i].frames));
    }
    writer.commit();
  }
  // Same compressed chunks; only where HDF5 places them in the file differs.
  const ClipStoreReader direct(dir / "direct.h5"), filtered(dir / "filter.h5");
  for (size_t i = 0; i < fx.scans.size(); ++i) {
    std::vector<int64_t> all(static_cast<size_t>(fx.scans[i].frames));
    std::iota(all.begin(), all.end(), 0);
    std::vector<uint8_t> a(fx.frames[i].size()), b(fx.frames[i].size());
    direct.read_frames(i, all, a.data());
    filtered.read_frames(i, all, b.data());
    CHECK(a == fx.frames[i]);
    CHECK(b == fx.frames[i]);
  }
  ClipStoreLayout chunked = fx.layout;
  chunked.chunk_frames = 2;
  CHECK_FALSE(ClipStoreWriter::can_encode(chunked));
}
