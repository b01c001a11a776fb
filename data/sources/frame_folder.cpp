// Source: a folder of image frames (PNG, JPEG, BMP, TIFF) in natural file-name order, all
// of one size. OpenCV returns nothing for a damaged PNG, BMP or TIFF, but fills the missing
// rows of a truncated JPEG with gray, so a JPEG must end with its end-of-image marker.
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {
namespace {

bool is_jpeg(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg";
}

// A complete JPEG ends with the EOI marker FF D9; trailing zero bytes (padding some
// writers add) are allowed.
bool jpeg_has_end_marker(const std::string& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  const std::streamoff tail = std::min<std::streamoff>(size, 4096);
  if (tail < 2) return false;
  std::string bytes(static_cast<size_t>(tail), '\0');
  in.seekg(size - tail);
  in.read(bytes.data(), tail);
  size_t end = bytes.find_last_not_of('\0');
  return end != std::string::npos && end >= 1 && static_cast<uint8_t>(bytes[end - 1]) == 0xff &&
         static_cast<uint8_t>(bytes[end]) == 0xd9;
}

}  // namespace

DecodedClip decode_frame_folder(const std::string& path, const DecodeOptions& options, float source_spacing) {
  std::vector<std::string> names;
  for (const std::string& name : sorted_files(path))
    if (is_image_file(name)) names.push_back(name);
  ClipBuilder builder(SourceKind::FrameFolder, options);
  cv::Size first;
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string file = (std::filesystem::path(path) / names[k]).string();
    const std::string frame_of = str("frame ", k + 1, " of ", names.size());
    // IMREAD_COLOR gives 8-bit BGR whatever the file holds (16-bit PNGs are scaled down).
    cv::Mat frame = cv::imread(file, options.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    LEARNER_CHECK(!frame.empty(), "cannot decode image '", file, "' (", frame_of,
                  "): damaged, truncated or not an image; export the frame again or remove it");
    LEARNER_CHECK(!is_jpeg(names[k]) || jpeg_has_end_marker(file), "image '", file, "' (", frame_of,
                  ") is truncated: the JPEG data stops before its end marker, so its last rows are missing; "
                  "export the frame again or remove it");
    if (k == 0) first = frame.size();
    LEARNER_CHECK(frame.size() == first, "image '", file, "' (", frame_of, ") is ", frame.cols, " x ", frame.rows,
                  " pixels but '", names[0], "' is ", first.width, " x ", first.height,
                  "; every frame of a clip must have one size (is a frame of another clip in the folder?)");
    builder.add(frame);
  }
  return builder.finish(path, 0.f, source_spacing);
}

}  // namespace learner::data::sources
