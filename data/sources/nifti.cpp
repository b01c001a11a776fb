// Source: a NIfTI-1/2 volume (.nii, .nii.gz) read with niftilib; the slices along the chosen
// axis become frames, windowed by percentiles over the whole volume. A 2-D time series
// (nx x ny x 1 x nt, cine MRI) gives one frame per time point. A file shorter than its
// header promises is refused with the first incomplete slice.
#include <nifti2_io.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {
namespace {

struct NiftiFree {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};

template <typename T>
void to_float(const void* data, int64_t n, double slope, double inter, std::vector<float>& out) {
  const T* src = static_cast<const T*>(data);
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(src[i]) * slope + inter);
}

// The voxel types decode_nifti converts (the switch there).
bool is_supported_datatype(int datatype) {
  switch (datatype) {
    case NIFTI_TYPE_UINT8: case NIFTI_TYPE_INT8: case NIFTI_TYPE_INT16: case NIFTI_TYPE_UINT16:
    case NIFTI_TYPE_INT32: case NIFTI_TYPE_UINT32: case NIFTI_TYPE_INT64: case NIFTI_TYPE_UINT64:
    case NIFTI_TYPE_FLOAT32: case NIFTI_TYPE_FLOAT64: return true;
    default: return false;
  }
}

double spacing_mm(double pixdim, int units) {
  if (units == NIFTI_UNITS_METER) return pixdim * 1000.0;
  if (units == NIFTI_UNITS_MICRON) return pixdim / 1000.0;
  return pixdim;  // mm, or unknown (taken as mm, the common case)
}

// Bytes of (uncompressed) data after `offset` in `file`, .nii or .nii.gz. A compressed file
// is inflated in blocks and only until `enough` bytes follow the offset: a small damaged
// .nii.gz can claim (or inflate to) far more than is worth reading to refuse it.
uint64_t bytes_after(const std::string& file, int64_t offset, uint64_t enough = UINT64_MAX) {
  const uint64_t skip = static_cast<uint64_t>(std::max<int64_t>(0, offset));
  uint64_t total = 0;
  if (nifti_is_gzfile(file.c_str())) {
    znzFile in = znzopen(file.c_str(), "rb", 1);
    if (znz_isnull(in)) return 0;
    std::vector<char> block(size_t{1} << 20);
    for (size_t got; (total < skip || total - skip < enough) && (got = znzread(block.data(), 1, block.size(), in)) > 0;)
      total += got;
    znzclose(in);
  } else {
    std::error_code ec;
    total = std::filesystem::file_size(file, ec);
    if (ec) return 0;
  }
  return total > skip ? total - skip : 0;
}

// The voxel bytes the header of `im` promises, from its axes (niftilib's own product wraps
// silently); 0 when they overflow or disagree with niftilib's voxel count.
uint64_t voxel_bytes(const nifti_image& im) {
  if (im.dim[0] < 1 || im.dim[0] > 7 || im.nbyper <= 0) return 0;
  int64_t bytes = im.nbyper;
  for (int d = 1; d <= im.dim[0]; ++d) {
    if (im.dim[d] < 1 || __builtin_mul_overflow(bytes, im.dim[d], &bytes)) return 0;
  }
  return bytes / im.nbyper == im.nvox ? static_cast<uint64_t>(bytes) : 0;
}

// The voxels of `im` are not all in the file: say how many are, and from which slice on.
[[noreturn]] void refuse_voxels(const std::string& path, const nifti_image& im) {
  const uint64_t due = voxel_bytes(im);
  const uint64_t held = bytes_after(im.iname != nullptr ? im.iname : path, im.iname_offset, due);
  const char* what_to_do = "; copy or export the volume again from its source";
  const uint64_t slice_bytes = static_cast<uint64_t>(std::max<int64_t>(1, im.nbyper * im.nx * im.ny));
  LEARNER_CHECK(held >= due, "NIfTI '", path, "' is truncated: its header promises ", im.nx, " x ", im.ny, " x ", im.nz,
                im.nt > 1 ? str(" x ", im.nt) : std::string(), " voxels of ", nifti_datatype_string(im.datatype), " (", due,
                " bytes) but the file holds ", held, "; slice ", held / slice_bytes + 1, " of ",
                std::max<int64_t>(1, im.nz) * std::max<int64_t>(1, im.nt), " (along the third axis) is cut short", what_to_do);
  throw Error(str("cannot read the voxels of NIfTI '", path, "' (damaged compressed data)", what_to_do));
}

// niftilib allocates the voxels (and the extensions before them) from the header's numbers,
// so a damaged header of a few bytes can make it calloc gigabytes. Read the header alone,
// check what it promises against the file, and only then let niftilib load anything.
void check_header(const std::string& path) {
  int version = -1;
  std::unique_ptr<void, decltype(&std::free)> header(nifti_read_header(path.c_str(), &version, /*check=*/1), &std::free);
  LEARNER_CHECK(header != nullptr, "cannot read NIfTI volume '", path, "' (damaged, truncated or not NIfTI)");
  // Version 0 is ANALYZE 7.5, which shares NIfTI-1's header layout.
  std::unique_ptr<nifti_image, NiftiFree> nim(
      version == 2 ? nifti_convert_n2hdr2nim(*static_cast<const nifti_2_header*>(header.get()), path.c_str())
      : version == 0 || version == 1
          ? nifti_convert_n1hdr2nim(*static_cast<const nifti_1_header*>(header.get()), path.c_str())
          : nullptr);
  LEARNER_CHECK(nim != nullptr, "cannot read NIfTI volume '", path, "' (its header is damaged)");
  const nifti_image& im = *nim;
  LEARNER_CHECK(im.dim[0] >= 1 && im.dim[0] <= 7, "NIfTI '", path, "' has ", im.dim[0],
                " dimensions in its header (1 to 7 expected): the header is damaged");
  for (int d = 1; d <= im.dim[0]; ++d) {
    LEARNER_CHECK(im.dim[d] >= 1, "NIfTI '", path, "' has size ", im.dim[d], " along axis ", d,
                  ": the header is damaged");
  }
  LEARNER_CHECK(is_supported_datatype(im.datatype), "NIfTI '", path, "' has voxel type ",
                nifti_datatype_string(im.datatype), " (code ", im.datatype,
                "), which pack does not read; convert it to an integer or float type");
  LEARNER_CHECK(im.iname_offset >= 0, "NIfTI '", path, "' puts its voxels at offset ", im.iname_offset,
                ": the header is damaged");
  const uint64_t due = voxel_bytes(im);
  LEARNER_CHECK(due > 0, "NIfTI '", path, "' promises more voxels than fit in memory (", im.dim[1], " x ", im.dim[2],
                " x ...): the header is damaged");
  if (bytes_after(im.iname != nullptr ? im.iname : path, im.iname_offset, due) < due) refuse_voxels(path, im);
}

}  // namespace

DecodedClip decode_nifti(const std::string& path, const DecodeOptions& options, float source_spacing) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { nifti_set_debug_level(0); });  // we report errors ourselves
  check_header(path);
  std::unique_ptr<nifti_image, NiftiFree> nim(nifti_image_read(path.c_str(), 0));  // header and extensions
  LEARNER_CHECK(nim != nullptr, "cannot read NIfTI volume '", path, "' (damaged, truncated or not NIfTI)");
  if (nifti_image_load(nim.get()) != 0 || nim->data == nullptr) refuse_voxels(path, *nim);
  const nifti_image& im = *nim;
  for (int d = 5; d <= 7; ++d) {
    LEARNER_CHECK(im.dim[0] < d || im.dim[d] <= 1, "NIfTI '", path, "' has ", im.dim[0],
                  " dimensions; only 3-D volumes and 2-D time series are supported");
  }
  const int64_t nx = im.nx, ny = im.ny, nz = im.dim[0] >= 3 ? std::max<int64_t>(1, im.nz) : 1, nt = im.dim[0] >= 4 ? std::max<int64_t>(1, im.nt) : 1;
  LEARNER_CHECK(nt == 1 || nz == 1, "NIfTI '", path, "' is 4-D (", nx, " x ", ny, " x ", nz, " x ", nt,
                "), several volumes; split it into one 3-D file per scan");
  const int64_t n = nx * ny * nz * nt;
  LEARNER_CHECK(n == im.nvox, "NIfTI '", path, "' has ", im.nvox, " voxels but its axes give ", n, ": the header is damaged");
  const double slope = im.scl_slope != 0.0 ? im.scl_slope : 1.0, inter = im.scl_slope != 0.0 ? im.scl_inter : 0.0;
  std::vector<float> values(static_cast<size_t>(n));
  switch (im.datatype) {
    case NIFTI_TYPE_UINT8: to_float<uint8_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_INT8: to_float<int8_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_INT16: to_float<int16_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_UINT16: to_float<uint16_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_INT32: to_float<int32_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_UINT32: to_float<uint32_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_INT64: to_float<int64_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_UINT64: to_float<uint64_t>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_FLOAT32: to_float<float>(im.data, n, slope, inter, values); break;
    case NIFTI_TYPE_FLOAT64: to_float<double>(im.data, n, slope, inter, values); break;
    default:
      throw Error(str("NIfTI '", path, "' has voxel type ", nifti_datatype_string(im.datatype),
                      ", which pack does not read; convert it to an integer or float type"));
  }
  const Window window = percentile_window(values, options.window_low, options.window_high);

  // A 2-D time series is a volume whose third axis is time.
  const int64_t dims[3] = {nx, ny, nt > 1 ? nt : nz};
  const int axis = nt > 1 ? 2 : options.slice_axis;
  LEARNER_CHECK(axis >= 0 && axis <= 2, "slice axis must be 0, 1 or 2, got ", axis);
  const int u = axis == 0 ? 1 : 0;  // in-plane axis along the columns
  const int v = axis == 2 ? 1 : 2;  // in-plane axis along the rows
  const int64_t strides[3] = {1, nx, nx * ny};
  const int cols = static_cast<int>(dims[u]), rows = static_cast<int>(dims[v]);
  std::vector<float> slice(static_cast<size_t>(rows) * static_cast<size_t>(cols));
  ClipBuilder builder(SourceKind::Nifti, options);
  for (int64_t k = 0; k < dims[axis]; ++k) {
    // Row 0 is the highest index of the row axis, as viewers show RAS-stored volumes.
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const int64_t idx = k * strides[axis] + c * strides[u] + (rows - 1 - r) * strides[v];
        slice[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)] = values[static_cast<size_t>(idx)];
      }
    }
    builder.add(window_to_u8(slice.data(), rows, cols, window));
  }
  double spacing = source_spacing;
  if (spacing <= 0 && im.pixdim[u + 1] > 0) spacing = spacing_mm(im.pixdim[u + 1], im.xyz_units);
  float fps = 0.f;
  if (nt > 1 && im.dt > 0) fps = static_cast<float>(im.time_units == NIFTI_UNITS_MSEC ? 1000.0 / im.dt : 1.0 / im.dt);
  return builder.finish(path, fps, spacing);
}

}  // namespace learner::data::sources
