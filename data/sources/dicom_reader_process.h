// GDCM reads outside DICOM files only in learner-dicom-reader (data/sources/dicom_reader/), a
// process of its own started per file, never in the process that packs or trains: Debian's
// GDCM 3.0.21 keeps its assert()s (an abort, no exception to catch) and makes huge allocations
// from the lengths and dimensions of damaged files. The reader runs with an address-space cap
// reckoned from the file's size and declared image, so such a file fails with a message
// instead of taking the machine's memory; a reader that dies is reported with the file.
#pragma once

#include <cstdint>
#include <string>

#include "data/sources/dicom_element_check.h"

namespace learner::data::sources {

// The most memory GDCM and the reader may take for a file of this layout: the file once read,
// the decoded pixels in GDCM's buffer and as floats, the answer, and room for GDCM itself.
uint64_t dicom_reader_memory_budget(const DicomLayout& layout);

// Where learner-dicom-reader is: $LEARNER_DICOM_READER when set, else next to the running
// executable or in the folder above it (the fuzz harnesses live in build/fuzz/). Throws
// learner::Error saying how to get one when there is none.
std::string dicom_reader_executable();

// Runs the reader on `path` under `memory_budget` bytes and returns its answer (dicom_image.h).
// Throws learner::Error with the reader's own message when it refused the file, and naming
// `path`, the signal and the reader's last words on stderr when it died (GDCM's asserts);
// DicomReaderFailure (dicom_image.h) when it exited without an answer or answered garbled.
std::string run_dicom_reader(const std::string& path, uint64_t memory_budget);

}  // namespace learner::data::sources
