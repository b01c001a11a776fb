// Source: a video file (mp4, avi, mov, ...) decoded by OpenCV's FFmpeg backend. FFmpeg
// skips what it cannot decode and stops at the end of the data without an error, so a
// truncated or damaged file is found by counting: containers that record their frame
// count (AVI, MP4/MOV) must deliver that many frames. For the others (MKV, WebM, MPEG)
// OpenCV only estimates the count from the duration, and the count is not checked.
#include <opencv2/videoio.hpp>

#include <cctype>
#include <cmath>
#include <filesystem>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {
namespace {
bool records_frame_count(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".avi" || ext == ".mp4" || ext == ".mov" || ext == ".m4v";
}
}  // namespace

DecodedClip decode_video(const std::string& path, const DecodeOptions& options, float source_spacing) {
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  LEARNER_CHECK(capture.isOpened(), "cannot open video '", path, "' (damaged, or a codec FFmpeg cannot decode)");
  const double fps = capture.get(cv::CAP_PROP_FPS);
  const double declared = capture.get(cv::CAP_PROP_FRAME_COUNT);
  ClipBuilder builder(SourceKind::Video, options);
  cv::Mat frame;
  int64_t read = 0;
  while (capture.read(frame)) {
    if (frame.empty()) continue;
    builder.add(frame);
    ++read;
  }
  if (records_frame_count(path) && std::isfinite(declared) && declared > 0) {
    const auto promised = static_cast<int64_t>(std::llround(declared));
    LEARNER_CHECK(read >= promised, "video '", path, "' is incomplete: its header promises ", promised,
                  " frames but only ", read, " could be decoded; frame ", read + 1, " of ", promised,
                  " is missing or damaged (a truncated or partly copied file); copy or export it again");
  }
  return builder.finish(path, static_cast<float>(fps), source_spacing);
}

}  // namespace learner::data::sources
