// The clip store writer: one extendible, chunked (N, C, H, W) uint8 frame dataset plus 1-D
// per-scan metadata datasets and per-dataset attributes (docs/format.md).
#include "data/clip_store_writer.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "data/hdf5_io.h"
#include "data/labels.h"
#include "base/error.h"

namespace learner::data {

const char* compression_name(Compression compression) {
  return compression == Compression::Deflate ? "deflate" : "none";
}

namespace {

// HDF5's Fletcher32 filter checksum (H5checksum.c): 16-bit big-endian words, sums folded
// every 360 words, an odd last byte as the high half of a word.
uint32_t fletcher32(const uint8_t* data, size_t bytes) {
  uint32_t sum1 = 0, sum2 = 0;
  size_t words = bytes / 2;
  while (words > 0) {
    size_t block = words > 360 ? 360 : words;
    words -= block;
    for (; block > 0; --block, data += 2) {
      sum1 += (static_cast<uint32_t>(data[0]) << 8) | data[1];
      sum2 += sum1;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (bytes % 2) {
    sum1 += static_cast<uint32_t>(*data) << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return (sum2 << 16) | sum1;
}

}  // namespace

ClipStoreWriter::ClipStoreWriter(const std::string& path, const ClipStoreLayout& layout)
    : path_(path), tmp_path_(path + ".tmp." + std::to_string(::getpid())), layout_(layout) {
  LEARNER_CHECK(layout.channels == 1 || layout.channels == 3, "clip store: channels must be 1 or 3, got ",
                layout.channels);
  LEARNER_CHECK(layout.height > 0 && layout.width > 0, "clip store: frame size must be positive, got ",
                layout.height, "x", layout.width);
  LEARNER_CHECK(layout.chunk_frames >= 1, "clip store: chunk_frames must be >= 1");
  LEARNER_CHECK(layout.deflate_level >= 1 && layout.deflate_level <= 9,
                "clip store: deflate level must be in 1..9, got ", layout.deflate_level);
  validate_score_spec(layout.score_spec);
  validate_split_fractions(layout.split_fractions);
  h5::quiet_errors();

  std::remove(tmp_path_.c_str());
  // The newest object versions: every piece of file metadata carries a checksum (format 2).
  h5::PropList access(H5_CHECK(H5Pcreate(H5P_FILE_ACCESS)));
  H5_CHECK(H5Pset_libver_bounds(access.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST));
  // A user block at the start, for the whole-file checksum commit() writes (docs/format.md).
  h5::PropList creation(H5_CHECK(H5Pcreate(H5P_FILE_CREATE)));
  H5_CHECK(H5Pset_userblock(creation.get(), kClipStoreUserblock));
  errno = 0;
  const hid_t file = H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, creation.get(), access.get());
  if (file < 0) {
    const int err = errno;
    H5Eclear2(H5E_DEFAULT);
    throw Error(str("cannot create '", tmp_path_, "'", err ? ": " : "", err ? std::strerror(err) : "",
                    "; check that the folder exists and is writable"));
  }
  file_ = h5::File(file);
  const hid_t root = file_.get();
  h5::write_fixed_string_attribute(root, "format", std::string(kClipStoreFormat));
  h5::write_attribute<int32_t>(root, "format_version", kClipStoreVersion);
  h5::write_fixed_string_attribute(root, "created_by", layout.created_by);
  h5::write_attribute<int32_t>(root, "channels", layout.channels);
  h5::write_attribute<int32_t>(root, "height", layout.height);
  h5::write_attribute<int32_t>(root, "width", layout.width);
  h5::write_fixed_string_attribute(root, "compression", std::string(compression_name(layout.compression)));
  const ScoreSpec& spec = layout.score_spec;
  h5::write_attribute<float>(root, "score_lo", spec.lo);
  h5::write_attribute<float>(root, "score_hi", spec.hi);
  h5::write_attribute<int8_t>(root, "higher_is_better", spec.higher_is_better ? 1 : 0);
  h5::write_attribute<float>(root, "score_edges", spec.edges);
  h5::write_attribute<float>(root, "change_band", spec.band);
  const SplitFractions& f = layout.split_fractions;
  h5::write_attribute<double>(root, "split_fractions", std::vector<double>{f.train, f.val, f.test});
  h5::write_attribute<uint64_t>(root, "split_seed", layout.split_seed);

  const hsize_t c = static_cast<hsize_t>(layout.channels), h = static_cast<hsize_t>(layout.height),
                w = static_cast<hsize_t>(layout.width);
  const hsize_t dims[4] = {0, c, h, w};
  const hsize_t max_dims[4] = {H5S_UNLIMITED, c, h, w};
  const hsize_t chunk[4] = {static_cast<hsize_t>(layout.chunk_frames), c, h, w};
  h5::Space space(H5_CHECK(H5Screate_simple(4, dims, max_dims)));
  h5::PropList create(H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
  H5_CHECK(H5Pset_chunk(create.get(), 4, chunk));
  H5_CHECK(H5Pset_obj_track_times(create.get(), 0));  // equal content, equal bytes
  if (layout.compression == Compression::Deflate) {
    H5_CHECK(H5Pset_deflate(create.get(), static_cast<unsigned>(layout.deflate_level)));
  }
  // Last on write, so first on read: a damaged chunk is refused before zlib sees it.
  H5_CHECK(H5Pset_fletcher32(create.get()));
  frames_ = h5::Dataset(H5_CHECK(H5Dcreate2(root, "frames", H5T_NATIVE_UINT8, space.get(), H5P_DEFAULT,
                                            create.get(), H5P_DEFAULT)));
  h5::write_fixed_string_attribute(frames_.get(), "layout", "N,C,H,W");
}

ClipStoreWriter::~ClipStoreWriter() {
  if (committed_) return;
  frames_.reset();
  file_.reset();
  std::remove(tmp_path_.c_str());
}

void ClipStoreWriter::append(const ScanRecord& record, const uint8_t* frames) {
  LEARNER_CHECK(!committed_, "clip store: append after commit");
  LEARNER_CHECK(record.frames > 0, "clip store: scan '", record.scan_id, "' has no frames");
  h5::quiet_errors();
  const hsize_t c = static_cast<hsize_t>(layout_.channels), h = static_cast<hsize_t>(layout_.height),
                w = static_cast<hsize_t>(layout_.width);
  const hsize_t n = static_cast<hsize_t>(record.frames);
  const hsize_t start = static_cast<hsize_t>(total_frames_);
  const hsize_t new_dims[4] = {start + n, c, h, w};
  H5_CHECK(H5Dset_extent(frames_.get(), new_dims));
  h5::Space file_space(H5_CHECK(H5Dget_space(frames_.get())));
  const hsize_t offset[4] = {start, 0, 0, 0};
  const hsize_t count[4] = {n, c, h, w};
  H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr));
  h5::Space mem_space(H5_CHECK(H5Screate_simple(4, count, nullptr)));
  H5_CHECK(H5Dwrite(frames_.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT, frames));
  scans_.push_back(record);
  offsets_.push_back(total_frames_);
  total_frames_ += record.frames;
}

bool ClipStoreWriter::can_encode(const ClipStoreLayout& layout) {
  return layout.compression == Compression::Deflate && layout.chunk_frames == 1;
}

EncodedFrames ClipStoreWriter::encode(const ClipStoreLayout& layout, const uint8_t* frames, int64_t count) {
  LEARNER_CHECK(can_encode(layout), "clip store: encode needs deflate with chunks of one frame");
  const size_t frame_bytes = static_cast<size_t>(layout.channels) * static_cast<size_t>(layout.height) *
                             static_cast<size_t>(layout.width);
  EncodedFrames out;
  out.frames = count;
  out.chunks.resize(static_cast<size_t>(count));
  for (size_t f = 0; f < out.chunks.size(); ++f) {
    std::vector<uint8_t>& chunk = out.chunks[f];
    uLongf size = compressBound(static_cast<uLong>(frame_bytes));
    chunk.resize(size + 4);
    // HDF5's deflate filter is compress2() at the dataset's level, and its Fletcher32 filter
    // appends the checksum of the compressed bytes, little-endian: same bytes either way.
    const int rc = compress2(chunk.data(), &size, frames + f * frame_bytes, static_cast<uLong>(frame_bytes),
                             layout.deflate_level);
    LEARNER_CHECK(rc == Z_OK, "clip store: zlib compress2 failed with code ", rc);
    const uint32_t sum = fletcher32(chunk.data(), size);
    for (int b = 0; b < 4; ++b) chunk[size + b] = static_cast<uint8_t>(sum >> (8 * b));
    chunk.resize(size + 4);
  }
  return out;
}

void ClipStoreWriter::append_encoded(const ScanRecord& record, const EncodedFrames& encoded) {
  LEARNER_CHECK(!committed_, "clip store: append after commit");
  LEARNER_CHECK(can_encode(layout_), "clip store: append_encoded needs deflate with chunks of one frame");
  LEARNER_CHECK(record.frames > 0 && record.frames == encoded.frames, "clip store: scan '", record.scan_id,
                "' has ", record.frames, " frames but ", encoded.frames, " encoded");
  h5::quiet_errors();
  const hsize_t start = static_cast<hsize_t>(total_frames_);
  const hsize_t new_dims[4] = {start + static_cast<hsize_t>(record.frames), static_cast<hsize_t>(layout_.channels),
                               static_cast<hsize_t>(layout_.height), static_cast<hsize_t>(layout_.width)};
  H5_CHECK(H5Dset_extent(frames_.get(), new_dims));
  for (size_t f = 0; f < encoded.chunks.size(); ++f) {
    const hsize_t offset[4] = {start + f, 0, 0, 0};
    const std::vector<uint8_t>& chunk = encoded.chunks[f];
    H5_CHECK(H5Dwrite_chunk(frames_.get(), H5P_DEFAULT, /*filters=*/0, offset, chunk.size(), chunk.data()));
  }
  scans_.push_back(record);
  offsets_.push_back(total_frames_);
  total_frames_ += record.frames;
}

void ClipStoreWriter::commit() {
  LEARNER_CHECK(!committed_, "clip store: commit called twice");
  h5::quiet_errors();
  h5::PropList group_create(H5_CHECK(H5Pcreate(H5P_GROUP_CREATE)));
  H5_CHECK(H5Pset_obj_track_times(group_create.get(), 0));
  h5::Group group(H5_CHECK(H5Gcreate2(file_.get(), "scans", H5P_DEFAULT, group_create.get(), H5P_DEFAULT)));
  const hid_t g = group.get();
  // One dataset per ScanRecord field, in the order the format has always written them (the
  // file's bytes, and so its checksums, follow this order).
  auto strings = [&](const char* name, std::string ScanRecord::*field) {
    std::vector<std::string> column;
    for (const ScanRecord& r : scans_) column.push_back(r.*field);
    h5::write_checked_string_dataset(g, name, column);
  };
  auto numbers = [&](const char* name, auto ScanRecord::*field) {
    std::vector<std::decay_t<decltype(scans_[0].*field)>> column;
    for (const ScanRecord& r : scans_) column.push_back(r.*field);
    h5::write_checked_dataset(g, name, column);
  };
  strings("patient_id", &ScanRecord::patient_id);
  strings("scan_id", &ScanRecord::scan_id);
  numbers("order", &ScanRecord::order);
  strings("date", &ScanRecord::date);
  numbers("score", &ScanRecord::score);
  strings("source_path", &ScanRecord::source_path);
  strings("modality", &ScanRecord::modality);
  h5::write_checked_dataset(g, "frame_offset", offsets_);
  numbers("frame_count", &ScanRecord::frames);
  numbers("fps", &ScanRecord::fps);
  numbers("pixel_spacing", &ScanRecord::pixel_spacing);
  std::vector<int8_t> split;
  for (const ScanRecord& r : scans_) split.push_back(static_cast<int8_t>(r.split));
  h5::write_checked_dataset(g, "split", split);
  {
    h5::Dataset split_ds(H5_CHECK(H5Dopen2(g, "split", H5P_DEFAULT)));
    h5::write_fixed_string_attribute(split_ds.get(), "names", "0=train,1=val,2=test");
  }
  group.close();
  frames_.close();
  file_.close();
  write_clip_store_digest(tmp_path_);
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    throw Error(str("cannot rename '", tmp_path_, "' to '", path_, "': ", std::strerror(err)));
  }
  committed_ = true;
}

}  // namespace learner::data
