// Replays every input that fuzzing once found crashing (fuzz/regressions/<target>/) through
// its fuzz target: each must now be refused with learner::Error or accepted, never crash.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/error.h"
#include "data/sources/source.h"
#include "fuzz/targets.h"
#include "tests/util/data_test_util.h"

namespace fs = std::filesystem;

namespace {

fs::path regression(const std::string& target, const std::string& name) {
  return fs::path(LEARNER_SOURCE_DIR) / "fuzz" / "regressions" / target / name;
}

// The message decode_source refuses `input` with, read as a file named `name`.
std::string refusal(const fs::path& input, const std::string& name) {
  learner::test::TempDir dir("fuzz_refusal");
  const std::string path = dir / name;
  fs::copy_file(input, path);
  learner::data::DecodeOptions options;
  options.size = 16;
  try {
    learner::data::decode_source(path, options);
  } catch (const learner::Error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("fuzz regressions: inputs that once crashed a parser are refused cleanly") {
  size_t replayed = 0;
  for (const learner::fuzz::Target& target : learner::fuzz::targets()) {
    // Inputs at the edges every parser must survive, then the saved crashers.
    for (const std::string& bytes : {std::string(), std::string(1, '\0'), std::string(4096, '\xff')}) {
      CAPTURE(target.name);
      CHECK_NOTHROW(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    }
    const fs::path dir = fs::path(LEARNER_SOURCE_DIR) / "fuzz" / "regressions" / target.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CAPTURE(entry.path().string());
      CHECK_NOTHROW(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++replayed;
    }
  }
  const std::string summary = std::to_string(replayed) + " saved fuzz inputs replayed";
  MESSAGE(summary);
}

// GDCM 3.0.21 aborts the process on this file (an assert in its retry path), so the importer
// must refuse it before GDCM reads it: data/sources/dicom_element_check.h.
TEST_CASE("fuzz regressions: a DICOM element that runs past the end of the file is refused before GDCM reads it") {
  const std::string message = refusal(regression("dicom", "crash-a592cae25c84231604f04f055f68dc20ef8785b0"), "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: element (0018,2010) at byte 596 declares 16390 bytes") != std::string::npos,
                message);
}

// The header promises 1321 x 1024 x 768 INT64 voxels (8.3 GB) in a 473-byte file: refused from
// the header, before niftilib allocates them (`make fuzz` replays it under a 2 GB malloc limit).
TEST_CASE("fuzz regressions: a NIfTI header that promises more voxels than the file holds is refused") {
  const std::string message = refusal(regression("nifti", "oom-ce465c75ef40cee3cf8cc76cf47b6cd84dff040e"), "vol.nii");
  CHECK_MESSAGE(message.find("is truncated: its header promises 1321 x 1024 x 768 voxels of INT64 (8311013376 bytes)") !=
                    std::string::npos,
                message);
}

// After a sequence delimiter, item and item-delimiter tags stand in the data set itself:
// GDCM 3.0.21 retries the file as mixed explicit/implicit VR and allocates 2.4 GB for the
// next tag read as a length. The element walk's nesting check refuses it first.
TEST_CASE("fuzz regressions: DICOM item tags outside any sequence are refused before GDCM reads them") {
  const std::string message = refusal(regression("dicom", "oom-79e9f61f893b524d8aa63efa9c6184772920c243"), "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: item tag (fffe,e000) stands outside any sequence at byte") != std::string::npos,
                message);
}

// A 16-byte file without a preamble whose meta group has no VR: GDCM reads such a group as
// implicit VR (an old GE quirk) and allocated the 2.6 GB the next four bytes read as. The
// walk reads the group the same way and refuses the length.
TEST_CASE("fuzz regressions: an implicit VR meta group with an element longer than the file is refused before GDCM") {
  const std::string message = refusal(regression("dicom", "oom-2aeb50bac3a093248d27cf53b2e46ea435febcc5"), "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: element (0002,d205) at byte 0 declares 2589626258 bytes but the file ends 8") !=
                    std::string::npos,
                message);
}

// Pixel Data declaring 4,261,412,924 bytes in a 977-byte file: GDCM allocated the declared
// length before reading. The walk refuses a file that ends inside its Pixel Data itself.
TEST_CASE("fuzz regressions: Pixel Data that declares more bytes than the file holds is refused before GDCM") {
  const std::string message = refusal(regression("dicom", "oom-578817ff02f613dcb448500c097332bc75f3ec96"), "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: Pixel Data (7fe0,0010) declares 4261412924 bytes but the file ends") !=
                    std::string::npos,
                message);
}

// GDCM asserts (BitsStored <= BitsAllocated, in PixelFormat::GetScalarType) computing the
// buffer length of this image, after its read succeeded: GDCM reads DICOM files only in
// learner-dicom-reader (data/sources/dicom_reader_process.h), so the abort is the reader's.
TEST_CASE("fuzz regressions: a DICOM pixel format GDCM aborts on is refused, the reading process lives") {
  const std::string message = refusal(regression("dicom", "crash-755717ba32b63a0deb7c0bbf4140cfb25bcad6b3"), "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: GDCM, the DICOM library, dies reading it (Aborted: ") != std::string::npos,
                message);
  CHECK_MESSAGE(message.find("Assertion `BitsStored <= BitsAllocated' failed.); copy or export the file again") !=
                    std::string::npos,
                message);
}
