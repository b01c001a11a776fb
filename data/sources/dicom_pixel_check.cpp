// The DICOM pixel data completeness check (data/sources/dicom_pixel_check.h).
#include "data/sources/dicom_pixel_check.h"

#include <gdcmImage.h>
#include <gdcmSequenceOfFragments.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/error.h"

namespace learner::data::sources {
namespace {

constexpr const char* kWhatToDo = "; copy or export the file again from its source";

// The bytes of the Pixel Data element's tag, VR and length as the transfer syntax writes
// them (Explicit VR: tag, "OB"/"OW", two zero bytes, 4-byte length; Implicit: tag, length).
std::vector<uint8_t> element_header(bool big_endian, bool explicit_vr, const char* vr, uint32_t length) {
  std::vector<uint8_t> h;
  for (uint8_t b : big_endian ? std::array<uint8_t, 4>{0x7f, 0xe0, 0x00, 0x10} : std::array<uint8_t, 4>{0xe0, 0x7f, 0x10, 0x00})
    h.push_back(b);
  if (explicit_vr) {
    for (uint8_t b : {static_cast<uint8_t>(vr[0]), static_cast<uint8_t>(vr[1]), uint8_t{0}, uint8_t{0}}) h.push_back(b);
  }
  for (int i = 0; i < 4; ++i) {
    const int shift = big_endian ? 8 * (3 - i) : 8 * i;
    h.push_back(static_cast<uint8_t>(length >> shift));
  }
  return h;
}

// Offset of `pattern` in `path` at or after `from`, or -1. Read in blocks, so that a cine
// loop of a few hundred MB is scanned without holding it twice in memory.
int64_t find_in_file(const std::string& path, int64_t from, const std::vector<uint8_t>& pattern) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(from);
  std::vector<char> block(size_t{1} << 20);
  std::vector<uint8_t> window;  // the tail of the previous block, then the new one
  int64_t window_start = from;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    window.insert(window.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(got));
    const auto hit = std::search(window.begin(), window.end(), pattern.begin(), pattern.end());
    if (hit != window.end()) return window_start + (hit - window.begin());
    const size_t keep = std::min(window.size(), pattern.size() - 1);
    window_start += static_cast<int64_t>(window.size() - keep);
    window.erase(window.begin(), window.end() - static_cast<std::ptrdiff_t>(keep));
  }
  return -1;
}

// Bytes of the Pixel Data value present in the file: all of `length` unless the file ends
// inside the value. The element of a complete file ends at least `length` bytes before the
// end; a truncated file has its header in the last `length + header` bytes.
uint64_t bytes_present(const std::string& path, const gdcm::TransferSyntax& ts, uint32_t length) {
  if (ts == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian) return length;  // on disk it is compressed
  const bool big = ts.GetSwapCode() == gdcm::SwapCode::BigEndian;
  const bool explicit_vr = ts.GetNegociatedType() == gdcm::TransferSyntax::Explicit;
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(path));
  const int64_t header = explicit_vr ? 12 : 8;
  const int64_t complete_at = size - static_cast<int64_t>(length) - header;
  std::vector<std::vector<uint8_t>> patterns = {element_header(big, explicit_vr, "OW", length)};
  if (explicit_vr) patterns.push_back(element_header(big, explicit_vr, "OB", length));
  if (complete_at >= 0) {  // the common case: Pixel Data is the last element and complete
    std::ifstream in(path, std::ios::binary);
    in.seekg(complete_at);
    std::vector<uint8_t> bytes(static_cast<size_t>(header));
    in.read(reinterpret_cast<char*>(bytes.data()), header);
    if (std::find(patterns.begin(), patterns.end(), bytes) != patterns.end()) return length;
  }
  for (const std::vector<uint8_t>& pattern : patterns) {
    const int64_t at = find_in_file(path, std::max<int64_t>(0, complete_at + 1), pattern);
    if (at >= 0) return static_cast<uint64_t>(size - at - header);
  }
  return length;  // elements follow the Pixel Data
}

}  // namespace

void check_dicom_pixel_data(const std::string& path, const gdcm::Image& image) {
  const unsigned* dims = image.GetDimensions();
  const uint64_t cols = dims[0], rows = dims[1], frames = image.GetNumberOfDimensions() > 2 ? dims[2] : 1;
  const gdcm::PixelFormat& pf = image.GetPixelFormat();
  const gdcm::DataElement& pixel_data = image.GetDataElement();
  if (const gdcm::SequenceOfFragments* fragments = pixel_data.GetSequenceOfFragments()) {
    // Compressed: each frame starts a new fragment, so fewer fragments than frames means
    // frames are missing; damage inside a fragment is the decoder's to find.
    const uint64_t n = fragments->GetNumberOfFragments();
    LEARNER_CHECK(frames <= 1 || n >= frames, "DICOM '", path, "' is incomplete: frame ", n + 1, " of ", frames,
                  " is missing (its compressed pixel data has ", n, " fragments for ", frames, " frames)", kWhatToDo);
    return;
  }
  const gdcm::ByteValue* value = pixel_data.GetByteValue();
  LEARNER_CHECK(value != nullptr, "DICOM '", path, "' has no pixel data", kWhatToDo);
  // Uncompressed YBR_FULL_422 stores two bytes a pixel (Y per pixel, Cb and Cr per pair).
  const uint64_t samples =
      image.GetPhotometricInterpretation() == gdcm::PhotometricInterpretation::YBR_FULL_422 ? 2 : pf.GetSamplesPerPixel();
  const uint64_t due = (rows * cols * samples * pf.GetBitsAllocated() * frames + 7) / 8;  // bits pack across frames
  const uint64_t frame_bytes = std::max<uint64_t>(1, due / std::max<uint64_t>(1, frames));
  const uint64_t held = value->GetLength();
  LEARNER_CHECK(held >= due, "DICOM '", path, "' is incomplete: its pixel data holds ", held, " bytes where ", cols, " x ",
                rows, " pixels x ", pf.GetBitsAllocated(), " bits x ", samples, " samples x ", frames, " frames need ", due,
                "; frame ", std::min(frames, held / frame_bytes + 1), " of ", frames, " is cut short", kWhatToDo);
  const uint64_t present = bytes_present(path, image.GetTransferSyntax(), static_cast<uint32_t>(held));
  if (present < due) throw Error(truncated_pixel_data_message(path, present, due, frames));
}

std::string truncated_pixel_data_message(const std::string& path, uint64_t present, uint64_t due, uint64_t frames) {
  frames = std::max<uint64_t>(1, frames);
  const uint64_t frame_bytes = std::max<uint64_t>(1, due / frames);
  return str("DICOM '", path, "' is truncated: the file ends after ", present, " of the ", due,
             " bytes of its pixel data; frame ", std::min(frames, present / frame_bytes + 1), " of ", frames,
             " is cut short", kWhatToDo);
}

}  // namespace learner::data::sources
