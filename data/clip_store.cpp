// The clip store reader: validates the layout of docs/format.md on open, keeps the per-scan
// metadata in memory and reads single frames (one HDF5 chunk each) on demand.
#include "data/clip_store.h"

#include <unistd.h>

#include <cerrno>
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
  h5::File file;
  h5::Dataset frames;
};

namespace {

const char* const kScanDatasets[] = {"patient_id", "scan_id", "order", "date", "score", "source_path",
                                     "modality", "frame_offset", "frame_count", "fps", "pixel_spacing",
                                     "split"};

}  // namespace

ClipStoreReader::ClipStoreReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  h5::quiet_errors();
  if (::access(path.c_str(), R_OK) != 0) {
    throw Error(str("cannot open clip store '", path, "': ", std::strerror(errno)));
  }
  LEARNER_CHECK(H5Fis_hdf5(path.c_str()) > 0, "'", path,
                "' is not an HDF5 file; give a file written by `learner pack`");
  H5Eclear2(H5E_DEFAULT);
  m.file = h5::File(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
  const hid_t root = m.file.get();
  const std::string where = str("clip store '", path, "': ");
  LEARNER_CHECK(h5::has_attribute(root, "format") && h5::read_string_attribute(root, "format") == kClipStoreFormat,
                "'", path, "' is not a learner clip store (its root attribute 'format' is not '",
                kClipStoreFormat, "'); write one with `learner pack`");
  for (const char* name : {"format_version", "channels", "height", "width", "score_lo", "score_hi",
                           "higher_is_better", "score_edges", "change_band"}) {
    LEARNER_CHECK(h5::has_attribute(root, name), where, "missing root attribute '", name, "'");
  }
  const int version = h5::read_scalar_attribute<int32_t>(root, "format_version");
  LEARNER_CHECK(version == kClipStoreVersion, where, "format version ", version, " but this build reads version ",
                kClipStoreVersion, "; repack it with this build's `learner pack`");
  m.channels = h5::read_scalar_attribute<int32_t>(root, "channels");
  m.height = h5::read_scalar_attribute<int32_t>(root, "height");
  m.width = h5::read_scalar_attribute<int32_t>(root, "width");
  LEARNER_CHECK((m.channels == 1 || m.channels == 3) && m.height > 0 && m.width > 0, where,
                "bad frame shape C=", m.channels, " H=", m.height, " W=", m.width);
  m.spec.lo = h5::read_scalar_attribute<float>(root, "score_lo");
  m.spec.hi = h5::read_scalar_attribute<float>(root, "score_hi");
  m.spec.higher_is_better = h5::read_scalar_attribute<int32_t>(root, "higher_is_better") != 0;
  m.spec.edges = h5::read_attribute_values<float>(root, "score_edges");
  m.spec.band = h5::read_scalar_attribute<float>(root, "change_band");
  try {
    validate_score_spec(m.spec);
  } catch (const Error& e) {
    throw Error(where + e.what());
  }

  LEARNER_CHECK(h5::has_link(root, "frames"), where, "missing dataset 'frames'");
  m.frames = h5::Dataset(H5_CHECK(H5Dopen2(root, "frames", H5P_DEFAULT)));
  h5::Type type(H5_CHECK(H5Dget_type(m.frames.get())));
  LEARNER_CHECK(H5_CHECK(H5Tget_class(type.get())) == H5T_INTEGER && H5Tget_size(type.get()) == 1 &&
                    H5Tget_sign(type.get()) == H5T_SGN_NONE,
                where, "dataset 'frames' must be uint8");
  h5::Space space(H5_CHECK(H5Dget_space(m.frames.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 4, where,
                "dataset 'frames' must have rank 4 (N, C, H, W)");
  hsize_t dims[4];
  H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims, nullptr));
  LEARNER_CHECK(dims[1] == static_cast<hsize_t>(m.channels) && dims[2] == static_cast<hsize_t>(m.height) &&
                    dims[3] == static_cast<hsize_t>(m.width),
                where, "dataset 'frames' has shape (", dims[0], ", ", dims[1], ", ", dims[2], ", ", dims[3],
                ") but the attributes say C=", m.channels, " H=", m.height, " W=", m.width);
  const int64_t total = static_cast<int64_t>(dims[0]);
  m.total_frames = total;

  for (const char* name : kScanDatasets) {
    LEARNER_CHECK(h5::has_link(root, str("scans/", name).c_str()), where, "missing dataset 'scans/", name, "'");
  }
  h5::Group g(H5_CHECK(H5Gopen2(root, "scans", H5P_DEFAULT)));
  const auto patient = h5::read_string_dataset(g.get(), "patient_id");
  const auto scan = h5::read_string_dataset(g.get(), "scan_id");
  const auto order = h5::read_dataset<int32_t>(g.get(), "order");
  const auto date = h5::read_string_dataset(g.get(), "date");
  const auto score = h5::read_dataset<float>(g.get(), "score");
  const auto source = h5::read_string_dataset(g.get(), "source_path");
  const auto modality = h5::read_string_dataset(g.get(), "modality");
  m.offsets = h5::read_dataset<int64_t>(g.get(), "frame_offset");
  const auto count = h5::read_dataset<int64_t>(g.get(), "frame_count");
  const auto fps = h5::read_dataset<float>(g.get(), "fps");
  const auto spacing = h5::read_dataset<float>(g.get(), "pixel_spacing");
  const auto split = h5::read_dataset<int32_t>(g.get(), "split");
  const size_t n = patient.size();
  for (size_t len : {scan.size(), order.size(), date.size(), score.size(), source.size(), modality.size(),
                     m.offsets.size(), count.size(), fps.size(), spacing.size(), split.size()}) {
    LEARNER_CHECK(len == n, where, "the datasets under 'scans' differ in length (", n, " vs ", len, ")");
  }
  m.scans.resize(n);
  for (size_t i = 0; i < n; ++i) {
    LEARNER_CHECK(count[i] > 0 && m.offsets[i] >= 0 && m.offsets[i] + count[i] <= total, where, "scan ", i,
                  " ('", scan[i], "') claims frames [", m.offsets[i], ", ", m.offsets[i] + count[i],
                  ") outside the ", total, " frames stored");
    LEARNER_CHECK(split[i] >= 0 && split[i] <= 2, where, "scan ", i, " has split code ", split[i],
                  " (0=train, 1=val, 2=test)");
    ScanRecord& r = m.scans[i];
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
}

ClipStoreReader::~ClipStoreReader() = default;

const std::string& ClipStoreReader::path() const { return impl_->path; }
const std::vector<ScanRecord>& ClipStoreReader::scans() const { return impl_->scans; }
const ScoreSpec& ClipStoreReader::score_spec() const { return impl_->spec; }
int ClipStoreReader::channels() const { return impl_->channels; }
int ClipStoreReader::height() const { return impl_->height; }
int ClipStoreReader::width() const { return impl_->width; }
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
    H5_CHECK(H5Dread(m.frames.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
                     out + k * frame_bytes));
  }
}

}  // namespace learner::data
