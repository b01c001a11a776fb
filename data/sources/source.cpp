// Source detection and dispatch, plus the file-name helpers the folder sources share.
#include "data/sources/source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data {

namespace fs = std::filesystem;

const char* source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::FrameFolder: return "frames";
    case SourceKind::Video: return "video";
    case SourceKind::Nifti: return "nifti";
    case SourceKind::Dicom: return "dicom";
    case SourceKind::DicomSeries: return "dicom-series";
  }
  return "?";
}

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      size_t is = i, js = j;  // skip leading zeros, then the longer number is larger
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      const int c = a.compare(is, ie - is, b, js, je - js);
      if (c != 0) return c < 0;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // equal up to leading zeros: fall back to plain order, so the sort is total
}

namespace sources {

std::vector<std::string> sorted_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] != '.' && entry.is_regular_file()) names.push_back(name);
  }
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

namespace {
std::string lower_extension(const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() > 7 && lower.compare(lower.size() - 7, 7, ".nii.gz") == 0) return ".nii.gz";
  return fs::path(lower).extension().string();
}
}  // namespace

bool is_image_file(const std::string& name) {
  const std::string ext = lower_extension(name);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tif" || ext == ".tiff";
}

bool is_dicom_file(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".dcm" || ext == ".dicom") return true;
  std::ifstream in(path, std::ios::binary);
  char magic[132] = {};
  return in.read(magic, 132) && std::string(magic + 128, 4) == "DICM";
}

}  // namespace sources

SourceKind detect_source(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  LEARNER_CHECK(!ec && fs::exists(status), "'", path, "' does not exist");
  if (fs::is_directory(status)) {
    size_t images = 0, dicoms = 0;
    for (const std::string& name : sources::sorted_files(path)) {
      if (sources::is_image_file(name)) ++images;
      else if (sources::is_dicom_file((fs::path(path) / name).string())) ++dicoms;
    }
    LEARNER_CHECK(!(images > 0 && dicoms > 0), "folder '", path, "' mixes ", images, " image frames and ", dicoms,
                  " DICOM files; keep one clip per folder");
    if (images > 0) return SourceKind::FrameFolder;
    if (dicoms > 0) return SourceKind::DicomSeries;
    throw Error(str("folder '", path, "' holds no image frames (.png, .jpg, .bmp, .tif) and no DICOM slices"));
  }
  const std::string ext = sources::lower_extension(path);
  if (ext == ".nii" || ext == ".nii.gz") return SourceKind::Nifti;
  for (const char* video : {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm"}) {
    if (ext == video) return SourceKind::Video;
  }
  if (sources::is_dicom_file(path)) return SourceKind::Dicom;
  LEARNER_CHECK(!sources::is_image_file(path), "'", path,
                "' is a single image; put the frames of a clip in one folder and give the folder");
  throw Error(str("'", path, "' has an unknown format; give a folder of frames, a video (.mp4, .avi, ...), ",
                  "a NIfTI volume (.nii, .nii.gz) or DICOM (.dcm or a folder of slices)"));
}

DecodedClip decode_source(const std::string& path, const DecodeOptions& options, float source_spacing) {
  LEARNER_CHECK(options.size > 0, "frame size must be positive, got ", options.size);
  LEARNER_CHECK(options.channels == 1 || options.channels == 3, "channels must be 1 or 3, got ", options.channels);
  switch (detect_source(path)) {
    case SourceKind::FrameFolder: return sources::decode_frame_folder(path, options, source_spacing);
    case SourceKind::Video: return sources::decode_video(path, options, source_spacing);
    case SourceKind::Nifti: return sources::decode_nifti(path, options, source_spacing);
    case SourceKind::Dicom: return sources::decode_dicom(path, options, source_spacing);
    case SourceKind::DicomSeries: return sources::decode_dicom_series(path, options, source_spacing);
  }
  LEARNER_ASSERT(false, "a SourceKind without a decoder");  // every kind is a case above
  return {};
}

}  // namespace learner::data
