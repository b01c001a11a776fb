// Source: a NIfTI-1/2 volume (.nii, .nii.gz) read with niftilib; the slices along the chosen
// axis become frames, windowed by percentiles over the whole volume. A 2-D time series
// (nx x ny x 1 x nt, cine MRI) gives one frame per time point.
#include <nifti2_io.h>

#include <memory>
#include <mutex>

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

double spacing_mm(double pixdim, int units) {
  if (units == NIFTI_UNITS_METER) return pixdim * 1000.0;
  if (units == NIFTI_UNITS_MICRON) return pixdim / 1000.0;
  return pixdim;  // mm, or unknown (taken as mm, the common case)
}

}  // namespace

DecodedClip decode_nifti(const std::string& path, const DecodeOptions& options, float source_spacing) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { nifti_set_debug_level(0); });  // we report errors ourselves
  std::unique_ptr<nifti_image, NiftiFree> nim(nifti_image_read(path.c_str(), 1));
  LEARNER_CHECK(nim != nullptr && nim->data != nullptr, "cannot read NIfTI volume '", path,
                "' (damaged, truncated or not NIfTI)");
  const nifti_image& im = *nim;
  for (int d = 5; d <= 7; ++d) {
    LEARNER_CHECK(im.dim[0] < d || im.dim[d] <= 1, "NIfTI '", path, "' has ", im.dim[0],
                  " dimensions; only 3-D volumes and 2-D time series are supported");
  }
  const int64_t nx = im.nx, ny = im.ny, nz = std::max<int64_t>(1, im.nz), nt = im.dim[0] >= 4 ? std::max<int64_t>(1, im.nt) : 1;
  LEARNER_CHECK(nt == 1 || nz == 1, "NIfTI '", path, "' is 4-D (", nx, " x ", ny, " x ", nz, " x ", nt,
                "), several volumes; split it into one 3-D file per scan");
  const int64_t n = nx * ny * nz * nt;
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
