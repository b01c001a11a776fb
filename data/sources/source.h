// Imaging sources for `learner pack`: each turns one manifest path (a folder of frames, a
// video, a NIfTI volume, a DICOM cine loop or a folder of DICOM slices) into uint8 frames of
// one square size and channel count. Errors name the file and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace learner::data {

enum class SourceKind { FrameFolder, Video, Nifti, Dicom, DicomSeries };
const char* source_kind_name(SourceKind kind);  // "frames", "video", "nifti", "dicom", "dicom-series"

// How a non-square frame becomes square before resizing: pad with black around the centre
// (keeps every pixel and the aspect ratio), crop the centre, or stretch.
enum class Fit { Pad, Crop, Stretch };

struct DecodeOptions {
  int size = 112;       // output frames are size x size
  int channels = 1;     // 1: grayscale, 3: RGB
  Fit fit = Fit::Pad;
  int slice_axis = 2;   // NIfTI: volume axis whose slices become frames (0, 1 or 2)
  // Percentiles that map to 0 and 255 for data that is not already 8-bit (MRI, 16-bit DICOM),
  // taken over the whole scan so that all its frames share one window.
  float window_low = 0.5f, window_high = 99.5f;
};

struct DecodedClip {
  SourceKind kind = SourceKind::Video;
  int64_t frames = 0;           // F
  std::vector<uint8_t> pixels;  // (F, C, size, size)
  float fps = 0.f;              // 0 when the source does not say
  float pixel_spacing = 0.f;    // mm per output pixel along the width, 0 when unknown
};

// Which source `path` is, from its type, extension and content; throws learner::Error for a
// missing path or an unknown format.
SourceKind detect_source(const std::string& path);

// Decodes `path` into frames of the requested size and channels. `source_spacing` (mm per
// source pixel, 0 = take it from the file when the format records it) scales to the output.
DecodedClip decode_source(const std::string& path, const DecodeOptions& options, float source_spacing = 0.f);

// "frame2.png" before "frame10.png": runs of digits compare as numbers.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace learner::data
