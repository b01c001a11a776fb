// The DICOM element walk before GDCM (data/sources/dicom_element_check.h). It reads element
// headers only: a tag, an explicit VR where the transfer syntax has one, and a length.
#include "data/sources/dicom_element_check.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "data/sources/dicom_pixel_check.h"

namespace learner::data::sources {
namespace {

constexpr uint32_t kUndefinedLength = 0xffffffffu;
constexpr int64_t kUndefinedEnd = -1;

// A sequence, an item of one, or encapsulated Pixel Data (whose items are byte fragments),
// with the byte it ends at, or kUndefinedEnd where a delimiter tag ends it.
struct Container {
  enum Kind { Sequence, Item, Fragments } kind;
  int64_t end;
  const char* name() const { return kind == Sequence ? "sequence" : kind == Item ? "item" : "encapsulated Pixel Data"; }
};

struct Encoding {
  bool explicit_vr = true;
  bool big_endian = false;
};

class FileBytes {
 public:
  explicit FileBytes(const std::string& path) : in_(path, std::ios::binary) {
    std::error_code ec;
    size_ = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    if (ec || !in_) size_ = 0;
  }
  int64_t size() const { return size_; }
  // `n` bytes at `offset`, or false when the file ends first.
  bool read(int64_t offset, void* out, size_t n) {
    if (offset < 0 || offset + static_cast<int64_t>(n) > size_) return false;
    in_.clear();
    in_.seekg(offset);
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<size_t>(in_.gcount()) == n;
  }

 private:
  std::ifstream in_;
  int64_t size_ = 0;
};

uint32_t number(const uint8_t* p, size_t n, bool big_endian) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[big_endian ? n - 1 - i : i]) << (8 * i);
  return v;
}

bool is_vr(const uint8_t* p) {
  static const char* const kVRs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                                     "LT", "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ",
                                     "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
  for (const char* vr : kVRs)
    if (p[0] == vr[0] && p[1] == vr[1]) return true;
  return false;
}

// VRs whose explicit header has two reserved bytes and a 4-byte length.
bool has_long_length(const uint8_t* vr) {
  static const char* const kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* l : kLong)
    if (vr[0] == l[0] && vr[1] == l[1]) return true;
  return false;
}

std::string tag_name(uint32_t group, uint32_t element) {
  std::ostringstream s;
  s << '(' << std::hex << std::setfill('0') << std::setw(4) << group << ',' << std::setw(4) << element << ')';
  return s.str();
}

// The encoding of the data set after the meta group, from its Transfer Syntax UID; false for
// a deflated data set (the walk cannot read it).
bool encoding_of(std::string uid, Encoding& out) {
  while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
  if (uid == "1.2.840.10008.1.2.1.99") return false;
  out.explicit_vr = uid != "1.2.840.10008.1.2";
  out.big_endian = uid == "1.2.840.10008.1.2.2";
  return true;
}

// The data set's image attributes the walk passes (top level only), enough to say how many
// bytes of pixels the file promises and so which frame a cut file loses.
struct ImageAttributes {
  uint64_t rows = 0, cols = 0, bits = 0, samples = 1, frames = 1;
  bool two_bytes_a_pixel = false;  // uncompressed YBR_FULL_422: Y per pixel, Cb and Cr per pair

  // Reads the value of (0028,xxxx) elements the attributes come from; the others are skipped.
  void note(FileBytes& file, uint32_t group, uint32_t element, int64_t at, uint32_t length, bool big) {
    if (group != 0x0028) return;
    uint8_t v[16] = {};
    if (length > sizeof(v) || !file.read(at, v, length)) return;
    const auto us = [&] { return length == 2 ? uint64_t{number(v, 2, big)} : 0; };
    const std::string text(reinterpret_cast<const char*>(v), length);
    if (element == 0x0010) rows = us();
    if (element == 0x0011) cols = us();
    if (element == 0x0100) bits = us();
    if (element == 0x0002) samples = us();
    if (element == 0x0004) two_bytes_a_pixel = text.rfind("YBR_FULL_422", 0) == 0;
    if (element == 0x0008) frames = static_cast<uint64_t>(std::max(1L, std::strtol(text.c_str(), nullptr, 10)));
  }
  // Bytes rows x columns x samples x bits x frames take (bits pack across frames); 0 when
  // an attribute is missing or the product is absurd.
  uint64_t due() const {
    const double bits_total = static_cast<double>(rows) * cols * (two_bytes_a_pixel ? 2 : samples) * bits * frames;
    if (bits_total <= 0 || bits_total > 1e18) return 0;
    return (rows * cols * (two_bytes_a_pixel ? 2 : samples) * bits * frames + 7) / 8;
  }
};

// The walk; fills `image` with the top-level image attributes it passes.
void walk(const std::string& path, FileBytes& file, ImageAttributes& image) {
  const int64_t size = file.size();
  int64_t pos = 0;
  uint8_t magic[4];
  const bool preamble = file.read(128, magic, 4) && std::memcmp(magic, "DICM", 4) == 0;
  if (preamble) pos = 132;
  Encoding enc;
  bool meta = false;  // inside the File Meta group (0002), little endian
  // After "DICM" the meta group is explicit VR; without a preamble GDCM reads it as implicit
  // when its first element has no VR (an old GE quirk), and the whole group so.
  bool meta_explicit = true;
  {
    uint8_t first[6];
    if (!file.read(pos, first, 6)) return;  // too short: GDCM refuses it cleanly
    const uint32_t group = number(first, 2, false);
    meta = group == 0x0002;
    // No meta group: guess as GDCM does (ACR-NEMA files start with group 0008 big endian).
    enc.big_endian = !meta && group == 0x0800;
    enc.explicit_vr = meta || is_vr(first + 4);
    meta_explicit = preamble || is_vr(first + 4);
  }
  // GDCM asserts on a meta group cut short, or holding a sequence or an undefined length.
  const auto refuse_meta = [&](int64_t at, const char* what) {
    throw Error(str("DICOM '", path, "' is damaged: its File Meta Information ", what, " at byte ", at,
                    "; copy or export the file again from its source"));
  };
  // The sequences, items and encapsulated Pixel Data the walk is inside, innermost last.
  // GDCM reads an item or delimiter tag where none can stand by retrying the whole file as
  // mixed explicit/implicit VR, where the next bytes read as a length (gigabytes from a
  // 734-byte file: fuzz/regressions/dicom/oom-79e9f61f...), so each is checked against it.
  std::vector<Container> open;
  const auto refuse = [&](int64_t at, const std::string& what) {
    throw Error(str("DICOM '", path, "' is damaged: ", what, " at byte ", at,
                    "; copy or export the file again from its source"));
  };
  while (pos < size) {
    // Close the defined-length containers that end here; an element that ran past the end of
    // its container is damage (GDCM would re-read the bytes after it as the next element).
    while (!open.empty() && open.back().end != kUndefinedEnd && pos >= open.back().end) {
      if (pos > open.back().end) {
        refuse(pos, str("an element ends ", pos - open.back().end, " bytes past the end of the ",
                        open.back().name(), " that holds it (which ends at byte ", open.back().end, ")"));
      }
      open.pop_back();
    }
    uint8_t h[12];
    if (!file.read(pos, h, 8)) {
      if (meta) refuse_meta(pos, "ends inside an element header");
      return;  // a few trailing bytes: not an element
    }
    if (meta && number(h, 2, false) != 0x0002) {
      meta = false;  // the data set starts here, in the transfer syntax the meta group named
      continue;
    }
    const bool big = !meta && enc.big_endian;
    const uint32_t group = number(h, 2, big), element = number(h + 2, 2, big);
    const Container* parent = open.empty() ? nullptr : &open.back();
    if (group == 0xfffe) {  // item and delimiters: tag and 4-byte length, in every syntax
      const uint32_t length = number(h + 4, 4, big);
      const std::string tag = tag_name(group, element);
      if (element == 0xe000) {  // an item: of a sequence (elements) or of Pixel Data (bytes)
        if (parent == nullptr || parent->kind == Container::Item) {
          refuse(pos, str("item tag ", tag, " stands outside any sequence"));
        }
        if (parent->kind == Container::Fragments) {
          if (length == kUndefinedLength) refuse(pos, str("Pixel Data fragment ", tag, " has no defined length"));
          if (pos + 8 + static_cast<int64_t>(length) > size) return;  // cut Pixel Data: check_dicom_pixel_data names the frame
          pos += 8 + static_cast<int64_t>(length);
          continue;
        }
        const int64_t end = length == kUndefinedLength ? kUndefinedEnd : pos + 8 + static_cast<int64_t>(length);
        if (end > size) {
          refuse(pos, str("item ", tag, " declares ", length, " bytes but the file ends ", size - pos - 8,
                          " bytes after its header"));
        }
        open.push_back({Container::Item, end});
      } else if (element == 0xe00d) {  // item delimiter: closes an undefined-length item
        if (parent == nullptr || parent->kind != Container::Item || parent->end != kUndefinedEnd) {
          refuse(pos, str("item delimiter ", tag, " closes no open item of undefined length"));
        }
        open.pop_back();
      } else if (element == 0xe0dd) {  // sequence delimiter: closes an undefined-length sequence or Pixel Data
        if (parent == nullptr || parent->kind == Container::Item || parent->end != kUndefinedEnd) {
          refuse(pos, str("sequence delimiter ", tag, " closes no open sequence of undefined length"));
        }
        open.pop_back();
      } else {
        // Any other tag of this group makes GDCM retry the file as mixed VR (gigabytes from garbage).
        refuse(pos, str(tag, " is no item or delimiter tag"));
      }
      pos += 8;
      continue;
    }
    if (parent != nullptr && parent->kind != Container::Item) {
      refuse(pos, str("element ", tag_name(group, element), " stands inside a ", parent->name(), " but outside its items"));
    }
    uint32_t length = 0;
    int64_t header = 8;
    bool sequence = false;
    if (meta ? meta_explicit : enc.explicit_vr) {
      if (!is_vr(h + 4)) {
        // An explicit meta group must stay so (GDCM asserts otherwise).
        if (meta) refuse_meta(pos, "holds an element without a valid VR");
        // GDCM would retry such a file as a mix of explicit and implicit VR, where damaged
        // bytes read as lengths make it allocate gigabytes; pack reads no mixed files.
        throw Error(str("DICOM '", path, "' is damaged: element ", tag_name(group, element), " at byte ", pos,
                        " has no valid VR although its transfer syntax is explicit (files that mix explicit and "
                        "implicit VR are not read); copy or export the file again from its source"));
      }
      if (has_long_length(h + 4)) {
        if (!file.read(pos + 8, h + 8, 4)) {
          if (meta) refuse_meta(pos, "ends inside an element header");
          return;
        }
        length = number(h + 8, 4, big);
        header = 12;
      } else {
        length = number(h + 6, 2, big);
      }
      sequence = h[4] == 'S' && h[5] == 'Q';
      if (meta && (sequence || length == kUndefinedLength)) refuse_meta(pos, "holds a sequence or an undefined length");
    } else {
      length = number(h + 4, 4, big);
      if (meta && length == kUndefinedLength) refuse_meta(pos, "holds an undefined length");
    }
    const bool pixel_data = group == 0x7fe0 && element == 0x0010;
    // An undefined-length UN holds implicit VR elements: the walk cannot follow the switch.
    if (length == kUndefinedLength && header == 12 && h[4] == 'U' && h[5] == 'N') return;
    if (length == kUndefinedLength) {  // a sequence, or encapsulated Pixel Data: its items follow
      open.push_back({pixel_data ? Container::Fragments : Container::Sequence, kUndefinedEnd});
      pos += header;
      continue;
    }
    if (meta && group == 0x0002 && element == 0x0010) {
      std::string uid(length <= 64 ? length : 0, '\0');
      if (!uid.empty() && file.read(pos + header, uid.data(), uid.size()) && !encoding_of(uid, enc)) return;
    }
    const int64_t end = pos + header + static_cast<int64_t>(length);
    if (end > size && pixel_data) {
      // Refused here, not left to GDCM, which allocates the declared length before it reads
      // (4 GB from a 977-byte file: fuzz/regressions/dicom/oom-578817ff...).
      const uint64_t present = static_cast<uint64_t>(std::max<int64_t>(0, size - pos - header));
      const uint64_t due = open.empty() ? image.due() : 0;
      if (due > 0 && (length == due || length == due + 1)) {  // a file cut short: name the frame it loses
        throw Error(truncated_pixel_data_message(path, present, due, image.frames));
      }
      refuse(pos, str("Pixel Data ", tag_name(group, element), " declares ", length, " bytes but the file ends ", present,
                      " bytes after its header"));
    }
    if (end > size) {
      throw Error(str("DICOM '", path, "' is damaged: element ", tag_name(group, element), " at byte ", pos,
                      " declares ", length, " bytes but the file ends ", size - pos - header,
                      " bytes after its header; copy or export the file again from its source"));
    }
    if (open.empty() && !meta) image.note(file, group, element, pos + header, length, big);
    if (sequence) {  // step into sequences and their items: their elements are checked too
      open.push_back({Container::Sequence, end});
      pos += header;
    } else {
      pos = end;
    }
  }
  if (meta) refuse_meta(pos, "is all the file holds (no data set follows)");
}

}  // namespace

DicomLayout check_dicom_elements(const std::string& path) {
  FileBytes file(path);
  ImageAttributes image;
  walk(path, file, image);
  return {static_cast<uint64_t>(file.size()), image.due()};
}

}  // namespace learner::data::sources
