// The only code of learner that reads a DICOM file with GDCM. It runs in learner-dicom-reader
// (main.cpp here), a process of its own, never in one that packs or trains: GDCM 3.0.21 as
// Debian builds it keeps its assert()s, and some damaged files trip one deep in its parser or
// pixel format (an abort, no exception to catch) or make it allocate gigabytes.
#pragma once

#include <string>

#include "data/sources/dicom_image.h"

namespace learner::data::sources {

// Reads and decodes `path`; throws learner::Error naming it and what is wrong.
DicomImage decode_with_gdcm(const std::string& path);

}  // namespace learner::data::sources
