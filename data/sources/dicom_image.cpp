// DicomImage as bytes (data/sources/dicom_image.h).
#include "data/sources/dicom_image.h"

#include <cstring>

#include "base/error.h"

namespace learner::data::sources {
namespace {

class Writer {
 public:
  std::string bytes;

  template <typename T>
  void field(const T& v) {
    bytes.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void vector(const std::vector<T>& v) {
    field(v.size());
    if (!v.empty()) bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

class Reader {
 public:
  Reader(const std::string& path, const std::string& bytes) : path_(path), bytes_(bytes) {}

  template <typename T>
  void field(T& v) {
    take(&v, sizeof(T));
  }
  template <typename T>
  void vector(std::vector<T>& v) {
    size_t n = 0;
    field(n);
    check(n <= (bytes_.size() - at_) / sizeof(T));
    v.resize(n);
    take(v.data(), n * sizeof(T));
  }
  void finish() const {
    if (at_ != bytes_.size()) {
      throw DicomReaderFailure(str("the DICOM reader's answer for '", path_, "' has ", bytes_.size() - at_,
                                   " bytes left over (a learner-dicom-reader of another build?)"));
    }
  }

 private:
  void check(bool ok) const {
    if (!ok) throw DicomReaderFailure(str("the DICOM reader's answer for '", path_, "' is cut short"));
  }
  void take(void* out, size_t n) {
    check(n <= bytes_.size() - at_);
    if (n > 0) std::memcpy(out, bytes_.data() + at_, n);  // an empty vector's data() may be null
    at_ += n;
  }

  const std::string& path_;
  const std::string& bytes_;
  size_t at_ = 0;
};

// The one list of fields, for both directions.
template <typename Stream, typename Image>
void each_field(Stream& s, Image& im) {
  for (auto* v : {&im.cols, &im.rows, &im.frames, &im.samples}) s.field(*v);
  s.vector(im.mono);
  s.vector(im.rgb);
  for (auto* v : {&im.plain_8bit, &im.invert, &im.has_instance, &im.has_position}) s.field(*v);
  for (auto* v : {&im.spacing, &im.fps}) s.field(*v);
  s.field(im.instance);
  for (auto& v : im.position) s.field(v);
  for (auto& v : im.orientation) s.field(v);
}

}  // namespace

std::string to_bytes(const DicomImage& image) {
  Writer w;
  each_field(w, image);
  return std::move(w.bytes);
}

DicomImage from_bytes(const std::string& path, const std::string& bytes) {
  Reader r(path, bytes);
  DicomImage image;
  image.path = path;
  each_field(r, image);
  r.finish();
  return image;
}

}  // namespace learner::data::sources
