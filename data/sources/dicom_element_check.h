// Before GDCM reads a DICOM file: does every element fit in the file?
// GDCM 3.0.21 (Debian's build keeps its assert()s) aborts the whole process on a file whose
// element, before the Pixel Data, declares a length that runs past the end of the file: the
// first parse fails at the end of the file, and GDCM's retry ("mixture of explicit/implicit")
// re-reads the meta header from a stream it did not clear, where
// FileMetaInformation::ReadCompat asserts is.good(). So pack walks the elements itself first.
#pragma once

#include <cstdint>
#include <string>

namespace learner::data::sources {

// Throws learner::Error naming `path`, the element, its offset and what to do when an element
// before the Pixel Data declares a value longer than what is left of the file, and when the
// nesting is broken: an item or delimiter tag outside a sequence (or Pixel Data) that it could
// belong to, an element inside a sequence but outside its items, or one that runs past the end
// of its sequence or item, and when the file ends inside the Pixel Data (GDCM would allocate
// its declared length first), naming the frame that is cut short where the image attributes
// say. Walks the element headers only (sequences and items are stepped into, values skipped,
// the meta group in the VR GDCM reads it with); stops, and leaves the file to GDCM, at a
// deflated data set or at an undefined-length UN (implicit VR inside an explicit file).
// Returns the sizes the DICOM reader's memory cap is reckoned from.
struct DicomLayout {
  uint64_t file_bytes = 0;
  uint64_t image_bytes = 0;  // rows x columns x samples x bits x frames / 8; 0 when not declared
};
DicomLayout check_dicom_elements(const std::string& path);

}  // namespace learner::data::sources
