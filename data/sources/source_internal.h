// Shared by the source decoders: the frame builder (channels, square fit, area/bilinear
// resize, CHW layout) and percentile windowing of wider-than-8-bit data.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "data/sources/source.h"

namespace learner::data::sources {

// Collects frames into a DecodedClip.
class ClipBuilder {
 public:
  ClipBuilder(SourceKind kind, const DecodeOptions& options);
  // `frame` is CV_8U with 1, 3 or 4 channels; 3 and 4 are BGR(A) unless `rgb` is true.
  void add(const cv::Mat& frame, bool rgb = false);
  // Fills fps and converts `source_spacing` (mm per source pixel, 0 unknown) to the output
  // size using the first frame's geometry; throws when no frame was added.
  DecodedClip finish(const std::string& path, float fps, double source_spacing);

 private:
  DecodeOptions options_;
  DecodedClip clip_;
  int first_rows_ = 0, first_cols_ = 0;
};

// The values at the two percentiles (in [0, 100]) of `values`, ignoring NaN; large inputs
// are subsampled at a fixed stride, so the result is deterministic.
struct Window {
  double lo = 0, hi = 1;
};
Window percentile_window(const std::vector<float>& values, float low_pct, float high_pct);

// Maps values through the window to a rows x cols CV_8UC1 image: lo -> 0, hi -> 255.
cv::Mat window_to_u8(const float* values, int rows, int cols, const Window& window);

DecodedClip decode_frame_folder(const std::string& path, const DecodeOptions& options, float source_spacing);
DecodedClip decode_video(const std::string& path, const DecodeOptions& options, float source_spacing);
DecodedClip decode_nifti(const std::string& path, const DecodeOptions& options, float source_spacing);
DecodedClip decode_dicom(const std::string& path, const DecodeOptions& options, float source_spacing);
DecodedClip decode_dicom_series(const std::string& path, const DecodeOptions& options, float source_spacing);

// File names in `dir` (no hidden files), in natural order.
std::vector<std::string> sorted_files(const std::string& dir);
bool is_image_file(const std::string& name);
bool is_dicom_file(const std::string& path);  // .dcm/.dicom or the "DICM" magic at byte 128

}  // namespace learner::data::sources
