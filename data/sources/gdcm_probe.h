// GDCM 3.0.21 as Debian builds it keeps its assert()s, and some damaged files trip one deep in
// its parser or image helpers (ComputeZSpacingFromIPP, ReadExplicitDataElement, ...): an
// abort of the whole process, no exception to catch. The element walk of
// dicom_element_check.h refuses the structural damage by name; this probe catches the rest.
#pragma once

#include <string>

namespace learner::data::sources {

// Reads `path` with gdcm::ImageReader in a forked child process; throws learner::Error naming
// the file and the signal when the child dies of one (GDCM aborted or crashed), so that the
// caller's own read in this process is only attempted on files GDCM survives.
void check_gdcm_survives(const std::string& path);

}  // namespace learner::data::sources
