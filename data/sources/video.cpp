// Source: a video file (mp4, avi, mov, ...) decoded by OpenCV's FFmpeg backend.
#include <opencv2/videoio.hpp>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {

DecodedClip decode_video(const std::string& path, const DecodeOptions& options, float source_spacing) {
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  LEARNER_CHECK(capture.isOpened(), "cannot open video '", path, "' (damaged, or a codec FFmpeg cannot decode)");
  const double fps = capture.get(cv::CAP_PROP_FPS);
  ClipBuilder builder(SourceKind::Video, options);
  cv::Mat frame;
  while (capture.read(frame)) {
    if (!frame.empty()) builder.add(frame);
  }
  return builder.finish(path, static_cast<float>(fps), source_spacing);
}

}  // namespace learner::data::sources
