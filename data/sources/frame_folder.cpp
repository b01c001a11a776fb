// Source: a folder of image frames (PNG, JPEG, BMP, TIFF) in natural file-name order.
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {

DecodedClip decode_frame_folder(const std::string& path, const DecodeOptions& options, float source_spacing) {
  ClipBuilder builder(SourceKind::FrameFolder, options);
  for (const std::string& name : sorted_files(path)) {
    if (!is_image_file(name)) continue;
    const std::string file = (std::filesystem::path(path) / name).string();
    // IMREAD_COLOR gives 8-bit BGR whatever the file holds (16-bit PNGs are scaled down).
    cv::Mat frame = cv::imread(file, options.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    LEARNER_CHECK(!frame.empty(), "cannot decode image '", file, "' (damaged or not an image)");
    builder.add(frame);
  }
  return builder.finish(path, 0.f, source_spacing);
}

}  // namespace learner::data::sources
