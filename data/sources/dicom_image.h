// One DICOM file as the DICOM reader process (data/sources/dicom_reader/) hands it back: the
// pixels already rescaled, and the few attributes pack orders and scales scans by. The same
// record, as bytes, is the whole answer the reader writes to its standard output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace learner::data::sources {

// The reader process broke its side of the exchange: it exited without an answer, or its
// answer is garbled, cut short or too long. Unlike a refusal (a plain learner::Error), this
// says nothing about the file: it is a learner-dicom-reader of another build, or a bug.
class DicomReaderFailure : public Error {
 public:
  using Error::Error;
};

struct DicomImage {
  std::string path;
  unsigned cols = 0, rows = 0, frames = 0, samples = 0;
  std::vector<float> mono;   // (frames, rows, cols) after rescale slope/intercept, when samples == 1
  std::vector<uint8_t> rgb;  // (frames, rows, cols, 3), when samples == 3
  bool plain_8bit = false;   // unsigned 8-bit monochrome without rescaling: used as is
  bool invert = false;       // MONOCHROME1: low values are white
  double spacing = 0, fps = 0;
  bool has_instance = false, has_position = false;
  int instance = 0;
  double position[3] = {0, 0, 0}, orientation[6] = {1, 0, 0, 0, 1, 0};
};

// Every field but the path in order, the vectors with their lengths. Both ends are built
// from this file for one machine, so the layout is the machine's own.
std::string to_bytes(const DicomImage& image);

// The inverse of to_bytes; throws DicomReaderFailure naming `path` when `bytes` is cut short or
// has bytes left over (a reader that died mid-answer, or one of another build).
DicomImage from_bytes(const std::string& path, const std::string& bytes);

}  // namespace learner::data::sources
