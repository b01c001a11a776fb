// The GPU bundle build (LEARNER_GPU_BUNDLE, `make gpu-bundle`) leaves out the imaging
// importers (OpenCV, GDCM, NIfTI and their ~240 shared libraries): the GPU machines have
// none of them and the bundle must stay small. `pack` and `synth` fail here with a message;
// clip stores are packed on a full build and carried.
#include <string>

#include "base/error.h"
#include "data/sources/source_internal.h"
#include "data/synth/cohort.h"

namespace learner::data {

namespace {
[[noreturn]] void no_importers(const std::string& what) {
  throw Error(str(what, ": this learner is the GPU bundle build (LEARNER_GPU_BUNDLE), which has no "
                        "image, video, NIfTI or DICOM code; run `learner synth` and `learner pack` "
                        "on a full build and carry the .h5 clip store"));
}
}  // namespace

namespace sources {
DecodedClip decode_frame_folder(const std::string& path, const DecodeOptions&, float) { no_importers(path); }
DecodedClip decode_video(const std::string& path, const DecodeOptions&, float) { no_importers(path); }
DecodedClip decode_nifti(const std::string& path, const DecodeOptions&, float) { no_importers(path); }
DecodedClip decode_dicom(const std::string& path, const DecodeOptions&, float) { no_importers(path); }
DecodedClip decode_dicom_series(const std::string& path, const DecodeOptions&, float) {
  no_importers(path);
}
}  // namespace sources

namespace synth {
void write_cohort(const Cohort&, const CohortOptions&, const std::string& dir) { no_importers(dir); }
}  // namespace synth

}  // namespace learner::data
