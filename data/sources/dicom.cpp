// Source: DICOM, either one file (a multi-frame cine loop, or one image) or a
// folder of single-frame slices ordered by InstanceNumber, else by ImagePositionPatient
// along the slice normal, else by file name. Monochrome data that is not plain 8-bit is
// windowed by percentiles over the whole scan; MONOCHROME1 is inverted; YBR becomes RGB.
#include <algorithm>
#include <filesystem>
#include <numeric>

#include "data/sources/dicom_element_check.h"
#include "data/sources/dicom_image.h"
#include "data/sources/dicom_reader_process.h"
#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {
namespace {

// Structural damage is refused by name before GDCM sees the file; GDCM itself runs in
// learner-dicom-reader, a process of its own with a memory cap (dicom_reader_process.h).
DicomImage read_dicom(const std::string& path) {
  const DicomLayout layout = check_dicom_elements(path);
  return from_bytes(path, run_dicom_reader(path, dicom_reader_memory_budget(layout)));
}

// Adds every frame of `images` (all of one geometry) to `builder`, windowing monochrome data
// that is not plain 8-bit over all of them.
void add_frames(const std::vector<DicomImage>& images, const DecodeOptions& options, ClipBuilder& builder) {
  const bool window_needed = images[0].samples == 1 &&
      std::any_of(images.begin(), images.end(), [](const DicomImage& im) { return !im.plain_8bit; });
  Window window;
  if (window_needed) {
    std::vector<float> all;
    for (const DicomImage& im : images) all.insert(all.end(), im.mono.begin(), im.mono.end());
    window = percentile_window(all, options.window_low, options.window_high);
  }
  for (const DicomImage& im : images) {
    const int rows = static_cast<int>(im.rows), cols = static_cast<int>(im.cols);
    const size_t plane = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    for (size_t f = 0; f < im.frames; ++f) {
      cv::Mat frame;
      if (im.samples == 3) {
        frame = cv::Mat(rows, cols, CV_8UC3, const_cast<uint8_t*>(im.rgb.data() + f * plane * 3));
      } else if (!window_needed) {
        frame = cv::Mat(rows, cols, CV_8UC1);
        for (size_t p = 0; p < plane; ++p) frame.data[p] = static_cast<uint8_t>(im.mono[f * plane + p]);
      } else {
        frame = window_to_u8(im.mono.data() + f * plane, rows, cols, window);
      }
      if (im.invert) frame = 255 - frame;
      builder.add(frame, /*rgb=*/true);
    }
  }
}

}  // namespace

DecodedClip decode_dicom(const std::string& path, const DecodeOptions& options, float source_spacing) {
  std::vector<DicomImage> images;
  images.push_back(read_dicom(path));
  ClipBuilder builder(SourceKind::Dicom, options);
  add_frames(images, options, builder);
  return builder.finish(path, static_cast<float>(images[0].fps),
                        source_spacing > 0 ? source_spacing : images[0].spacing);
}

DecodedClip decode_dicom_series(const std::string& path, const DecodeOptions& options, float source_spacing) {
  std::vector<DicomImage> images;
  for (const std::string& name : sorted_files(path)) {
    const std::string file = (std::filesystem::path(path) / name).string();
    if (!is_dicom_file(file)) continue;
    images.push_back(read_dicom(file));
    const DicomImage& im = images.back();
    LEARNER_CHECK(im.frames == 1, "DICOM folder '", path, "': '", name, "' holds ", im.frames,
                  " frames; a folder must hold single-frame slices (give a multi-frame file on its own)");
    const DicomImage& first = images.front();
    LEARNER_CHECK(im.rows == first.rows && im.cols == first.cols && im.samples == first.samples, "DICOM folder '",
                  path, "': '", name, "' is ", im.cols, "x", im.rows, "x", im.samples, " but '",
                  std::filesystem::path(first.path).filename().string(), "' is ", first.cols, "x", first.rows, "x",
                  first.samples, "; a folder must hold the slices of one series");
  }
  LEARNER_CHECK(!images.empty(), "DICOM folder '", path, "' holds no DICOM files");
  // Order: InstanceNumber when every slice has a distinct one, else position along the normal.
  std::vector<double> key(images.size());
  bool by_instance = std::all_of(images.begin(), images.end(), [](const DicomImage& im) { return im.has_instance; });
  if (by_instance) {
    std::vector<int> numbers;
    for (const DicomImage& im : images) numbers.push_back(im.instance);
    std::sort(numbers.begin(), numbers.end());
    by_instance = std::adjacent_find(numbers.begin(), numbers.end()) == numbers.end();
  }
  const bool by_position = !by_instance &&
      std::all_of(images.begin(), images.end(), [](const DicomImage& im) { return im.has_position; });
  for (size_t i = 0; i < images.size(); ++i) {
    const DicomImage& im = images[i];
    if (by_instance) {
      key[i] = im.instance;
    } else if (by_position) {
      const double* o = im.orientation;
      const double normal[3] = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
      key[i] = normal[0] * im.position[0] + normal[1] * im.position[1] + normal[2] * im.position[2];
    } else {
      key[i] = static_cast<double>(i);  // natural file-name order
    }
  }
  std::vector<size_t> order(images.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
  std::vector<DicomImage> sorted;
  for (size_t i : order) sorted.push_back(std::move(images[i]));
  ClipBuilder builder(SourceKind::DicomSeries, options);
  add_frames(sorted, options, builder);
  return builder.finish(path, static_cast<float>(sorted[0].fps),
                        source_spacing > 0 ? source_spacing : sorted[0].spacing);
}

}  // namespace learner::data::sources
