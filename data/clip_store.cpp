// The clip store reader: validates the layout of docs/format.md on open, keeps the per-scan
// metadata in memory and reads single frames (one HDF5 chunk each) on demand.
#include "data/clip_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cmath>
#include <cstring>

#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "data/labels.h"
#include "base/error.h"

namespace learner::data {

const char* split_name(Split split) {
  switch (split) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
  }
  return "?";
}

struct ClipStoreReader::Impl {
  std::string path;
  std::vector<ScanRecord> scans;
  std::vector<int64_t> offsets;
  ScoreSpec spec;
  int channels = 0, height = 0, width = 0;
  int64_t total_frames = 0;
  std::string created_by, compression;
  h5::File file;
  h5::Dataset frames;

  void open();      // HDF5 open and the format checks (NotAStore when it is no v2 store)
  void validate();  // everything else, against the declared sizes
};

namespace {

const char* const kScanDatasets[] = {"patient_id", "scan_id", "order", "date", "score", "source_path",
                                     "modality", "frame_offset", "frame_count", "fps", "pixel_spacing",
                                     "split"};
// Bounds that no store written by `learner pack` comes near; checked before allocating.
constexpr int kMaxSide = 16384;
constexpr size_t kMaxScans = size_t{1} << 24;
constexpr size_t kMaxEdges = 1024;

// The file is readable HDF5 but not a (version 2) learner clip store: reported as is.
class NotAStore : public Error {
 public:
  explicit NotAStore(const std::string& what) : Error(what) {}
};

std::string damaged_message(const std::string& path, const std::string& what) {
  return str("clip store '", path, "' is damaged: ", what, ". Copy it again from where it came from, or re-pack it with `learner pack --manifest MANIFEST.csv --out ", path, "`");
}

}  // namespace

void ClipStoreReader::Impl::open() {
  file = h5::File(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
  const hid_t root = file.get();
  if (!h5::has_attribute(root, "format")) {
    throw NotAStore(str("'", path, "' is not a learner clip store (it has no root attribute 'format'); write one with `learner pack`"));
  }
  if (h5::is_variable_string_attribute(root, "format")) {
    // Version 1 wrote variable-length strings; reading one from a damaged file can crash inside
    // HDF5, so only the (numeric) version is looked at.
    const bool v1 = h5::has_attribute(root, "format_version") &&
                    h5::read_attribute_values<int32_t>(root, "format_version") == std::vector<int32_t>{1};
    if (v1) {
      throw NotAStore(str("'", path, "' is a version 1 clip store, which this build no longer reads: its strings sit in HDF5's "
                          "global heap, which has no checksum, so a damaged copy could crash the reader. Re-pack it with "
                          "this build: `learner pack --manifest MANIFEST.csv --out NEW.h5` with the flags it was packed with"));
    }
    throw NotAStore(str("'", path, "' is not a learner clip store (its root attribute 'format' is not a fixed-length "
                        "string); write one with `learner pack`"));
  }
  if (h5::read_fixed_string_attribute(root, "format") != kClipStoreFormat) {
    throw NotAStore(str("'", path, "' is not a learner clip store (its root attribute 'format' is not '", kClipStoreFormat,
                        "'); write one with `learner pack`"));
  }
  LEARNER_CHECK(h5::has_attribute(root, "format_version"), "missing root attribute 'format_version'");
  const int version = h5::read_scalar_attribute<int32_t>(root, "format_version");
  if (version != kClipStoreVersion) {
    throw NotAStore(str("clip store '", path, "': format version ", version, " but this build reads version ", kClipStoreVersion,
                        "; re-pack it with this build's `learner pack`"));
  }
}

void ClipStoreReader::Impl::validate() {
  const hid_t root = file.get();
  for (const char* name : {"channels", "height", "width", "score_lo", "score_hi", "higher_is_better", "score_edges",
                           "change_band", "created_by", "compression"}) {
    LEARNER_CHECK(h5::has_attribute(root, name), "missing root attribute '", name, "'");
  }
  created_by = h5::read_fixed_string_attribute(root, "created_by");
  compression = h5::read_fixed_string_attribute(root, "compression");
  LEARNER_CHECK(compression == "deflate" || compression == "none", "root attribute 'compression' is '", compression,
                "' (deflate or none expected)");
  channels = h5::read_scalar_attribute<int32_t>(root, "channels");
  height = h5::read_scalar_attribute<int32_t>(root, "height");
  width = h5::read_scalar_attribute<int32_t>(root, "width");
  LEARNER_CHECK((channels == 1 || channels == 3) && height > 0 && height <= kMaxSide && width > 0 && width <= kMaxSide,
                "bad frame shape C=", channels, " H=", height, " W=", width);
  spec.lo = h5::read_scalar_attribute<float>(root, "score_lo");
  spec.hi = h5::read_scalar_attribute<float>(root, "score_hi");
  const int32_t higher = h5::read_scalar_attribute<int32_t>(root, "higher_is_better");
  LEARNER_CHECK(higher == 0 || higher == 1, "root attribute 'higher_is_better' is ", higher, " (0 or 1 expected)");
  spec.higher_is_better = higher != 0;
  LEARNER_CHECK(h5::attribute_length(root, "score_edges") <= kMaxEdges, "root attribute 'score_edges' holds ",
                h5::attribute_length(root, "score_edges"), " values (at most ", kMaxEdges, ")");
  spec.edges = h5::read_attribute_values<float>(root, "score_edges");
  spec.band = h5::read_scalar_attribute<float>(root, "change_band");
  validate_score_spec(spec);

  LEARNER_CHECK(h5::has_link(root, "frames"), "missing dataset 'frames'");
  frames = h5::Dataset(H5_CHECK(H5Dopen2(root, "frames", H5P_DEFAULT)));
  h5::Type type(H5_CHECK(H5Dget_type(frames.get())));
  LEARNER_CHECK(H5_CHECK(H5Tget_class(type.get())) == H5T_INTEGER && H5Tget_size(type.get()) == 1 &&
                    H5Tget_sign(type.get()) == H5T_SGN_NONE,
                "dataset 'frames' must be uint8");
  h5::Space space(H5_CHECK(H5Dget_space(frames.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 4, "dataset 'frames' must have rank 4 (N, C, H, W)");
  hsize_t dims[4];
  H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims, nullptr));
  LEARNER_CHECK(dims[1] == static_cast<hsize_t>(channels) && dims[2] == static_cast<hsize_t>(height) &&
                    dims[3] == static_cast<hsize_t>(width),
                "dataset 'frames' has shape (", dims[0], ", ", dims[1], ", ", dims[2], ", ", dims[3],
                ") but the attributes say C=", channels, " H=", height, " W=", width);
  LEARNER_CHECK(dims[0] <= static_cast<hsize_t>(INT64_MAX), "dataset 'frames' claims ", dims[0], " frames");
  LEARNER_CHECK(h5::has_filter(frames.get(), H5Z_FILTER_FLETCHER32), "dataset 'frames' has no Fletcher32 checksum");
  total_frames = static_cast<int64_t>(dims[0]);

  for (const char* name : kScanDatasets) {
    LEARNER_CHECK(h5::has_link(root, str("scans/", name).c_str()), "missing dataset 'scans/", name, "'");
  }
  h5::Group g(H5_CHECK(H5Gopen2(root, "scans", H5P_DEFAULT)));
  // Every scan holds at least one frame, so there are at most N of them.
  const size_t n = h5::dataset_length(g.get(), "scan_id");
  LEARNER_CHECK(n <= static_cast<uint64_t>(total_frames) && n <= kMaxScans, "'scans/scan_id' lists ", n,
                " scans for ", total_frames, " frames");
  const auto patient = h5::read_fixed_string_dataset(g.get(), "patient_id", n);
  const auto scan = h5::read_fixed_string_dataset(g.get(), "scan_id", n);
  const auto order = h5::read_dataset_exact<int32_t>(g.get(), "order", n);
  const auto date = h5::read_fixed_string_dataset(g.get(), "date", n);
  const auto score = h5::read_dataset_exact<float>(g.get(), "score", n);
  const auto source = h5::read_fixed_string_dataset(g.get(), "source_path", n);
  const auto modality = h5::read_fixed_string_dataset(g.get(), "modality", n);
  offsets = h5::read_dataset_exact<int64_t>(g.get(), "frame_offset", n);
  const auto count = h5::read_dataset_exact<int64_t>(g.get(), "frame_count", n);
  const auto fps = h5::read_dataset_exact<float>(g.get(), "fps", n);
  const auto spacing = h5::read_dataset_exact<float>(g.get(), "pixel_spacing", n);
  const auto split = h5::read_dataset_exact<int32_t>(g.get(), "split", n);
  scans.resize(n);
  // Pack writes scans back to back in file order: scan i starts where scan i - 1 ends, and
  // the last one ends at N.
  int64_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    LEARNER_CHECK(count[i] > 0 && offsets[i] == next && count[i] <= total_frames - next, "scan ", i, " ('", scan[i],
                  "') claims frames [", offsets[i], ", ", offsets[i], " + ", count[i], ") but the next free frame is ",
                  next, " of the ", total_frames, " stored");
    next += count[i];
    LEARNER_CHECK(split[i] >= 0 && split[i] <= 2, "scan ", i, " ('", scan[i], "') has split code ", split[i],
                  " (0=train, 1=val, 2=test)");
    LEARNER_CHECK(std::isfinite(score[i]) && std::isfinite(fps[i]) && std::isfinite(spacing[i]), "scan ", i, " ('",
                  scan[i], "') has a score, fps or pixel spacing that is not a finite number");
    ScanRecord& r = scans[i];
    r.patient_id = patient[i];
    r.scan_id = scan[i];
    r.order = order[i];
    r.date = date[i];
    r.score = score[i];
    r.source_path = source[i];
    r.modality = modality[i];
    r.frames = count[i];
    r.fps = fps[i];
    r.pixel_spacing = spacing[i];
    r.split = static_cast<Split>(split[i]);
  }
  LEARNER_CHECK(next == total_frames, "the scans cover frames [0, ", next, ") of the ", total_frames, " stored");
}

ClipStoreReader::ClipStoreReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  h5::quiet_errors();
  if (::access(path.c_str(), R_OK) != 0) {
    throw Error(str("cannot open clip store '", path, "': ", std::strerror(errno)));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Error(str("'", path, "' is not an HDF5 file, or its first bytes are damaged; give a file written by `learner pack`"));
  }
  try {
    m.open();
    m.validate();
  } catch (const NotAStore&) {
    throw;
  } catch (const std::exception& e) {
    // A file `learner pack` wrote passes every check; a failing checksum or value means damage.
    throw Error(damaged_message(path, e.what()));
  }
}

ClipStoreReader::~ClipStoreReader() = default;

const std::string& ClipStoreReader::path() const { return impl_->path; }
const std::vector<ScanRecord>& ClipStoreReader::scans() const { return impl_->scans; }
const ScoreSpec& ClipStoreReader::score_spec() const { return impl_->spec; }
int ClipStoreReader::channels() const { return impl_->channels; }
int ClipStoreReader::height() const { return impl_->height; }
int ClipStoreReader::width() const { return impl_->width; }
const std::string& ClipStoreReader::created_by() const { return impl_->created_by; }
const std::string& ClipStoreReader::compression() const { return impl_->compression; }
int64_t ClipStoreReader::frame_offset(size_t scan) const { return impl_->offsets.at(scan); }
int64_t ClipStoreReader::total_frames() const { return impl_->total_frames; }

void ClipStoreReader::read_frames(size_t scan, const std::vector<int64_t>& frame_indices, uint8_t* out) const {
  const Impl& m = *impl_;
  LEARNER_CHECK(scan < m.scans.size(), "read_frames: scan ", scan, " out of range (", m.scans.size(),
                " scans in '", m.path, "')");
  h5::quiet_errors();
  const int64_t frames = m.scans[scan].frames;
  const hsize_t c = static_cast<hsize_t>(m.channels), h = static_cast<hsize_t>(m.height),
                w = static_cast<hsize_t>(m.width);
  const size_t frame_bytes = static_cast<size_t>(c * h * w);
  const hsize_t count[4] = {1, c, h, w};
  h5::Space mem_space(H5_CHECK(H5Screate_simple(4, count, nullptr)));
  h5::Space file_space(H5_CHECK(H5Dget_space(m.frames.get())));
  // One read per frame keeps the requested order (a union selection would come back sorted)
  // and costs one chunk each with the default chunk of one frame.
  for (size_t k = 0; k < frame_indices.size(); ++k) {
    const int64_t f = frame_indices[k];
    LEARNER_CHECK(f >= 0 && f < frames, "read_frames: frame ", f, " out of range for scan ", scan, " ('",
                  m.scans[scan].scan_id, "', ", frames, " frames)");
    const hsize_t offset[4] = {static_cast<hsize_t>(m.offsets[scan] + f), 0, 0, 0};
    H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr));
    try {
      H5_CHECK(H5Dread(m.frames.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
                       out + k * frame_bytes));
    } catch (const Error& e) {
      // Fletcher32 (or the checksummed chunk index) failed: never hand back these bytes.
      throw Error(damaged_message(m.path, str("frame ", f, " of scan ", scan, " ('", m.scans[scan].scan_id,
                                              "') does not read back (", e.what(), ")")));
    }
  }
}

}  // namespace learner::data
