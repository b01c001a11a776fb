// learner-dicom-reader, the process GDCM reads DICOM files in (data/sources/dicom_reader_process.h):
// its answer, its memory cap, and every way it can fail as the reading process sees it,
// with stand-in readers (shell scripts) for the deaths GDCM causes only on rare files.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "base/error.h"
#include "data/sources/dicom_element_check.h"
#include "data/sources/dicom_image.h"
#include "data/sources/dicom_reader_process.h"
#include "tests/util/data_test_util.h"
#include "tests/util/source_files.h"

namespace {

using namespace learner::data::sources;

// Points LEARNER_DICOM_READER at `reader` for one scope.
class ReaderOverride {
 public:
  explicit ReaderOverride(const std::string& reader) { ::setenv("LEARNER_DICOM_READER", reader.c_str(), 1); }
  ~ReaderOverride() { ::unsetenv("LEARNER_DICOM_READER"); }
  ReaderOverride(const ReaderOverride&) = delete;
  ReaderOverride& operator=(const ReaderOverride&) = delete;
};

std::string script(const learner::test::TempDir& dir, const std::string& body) {
  const std::string path = dir / "reader.sh";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string refusal(const std::string& path, uint64_t budget = 1ull << 30) {
  try {
    run_dicom_reader(path, budget);
  } catch (const learner::Error& e) {
    return e.what();
  }
  FAIL("the DICOM reader accepted '", path, "'");
  return "";
}

}  // namespace

TEST_CASE("dicom reader: decodes a multi-frame file in its own process and hands back every pixel") {
  learner::test::TempDir dir("dicom_reader");
  const std::string file = dir / "cine.dcm";
  learner::test::write_dicom_multiframe(file, 5, 24, 32);
  const DicomLayout layout = check_dicom_elements(file);
  CHECK(layout.image_bytes == 5u * 24 * 32);  // 8-bit monochrome
  const DicomImage image = from_bytes(file, run_dicom_reader(file, dicom_reader_memory_budget(layout)));
  CHECK(image.frames == 5);
  CHECK(image.rows == 24);
  CHECK(image.cols == 32);
  CHECK(image.rgb.size() + image.mono.size() == 5u * 24 * 32 * image.samples);
}

TEST_CASE("dicom reader: a file that needs more memory than its budget is refused, not read") {
  learner::test::TempDir dir("dicom_reader");
  const std::string file = dir / "big.dcm";
  learner::test::write_dicom_multiframe(file, 40, 256, 256);  // 2.5 MiB of pixels, 10 MiB as floats
  const std::string message = refusal(file, 1ull << 20);
  CHECK_MESSAGE(message.find("reading it takes GDCM, the DICOM library, more than the 1 MiB its size and declared image allow") !=
                    std::string::npos,
                message);
  CHECK_MESSAGE(message.find(file) != std::string::npos, message);
}

TEST_CASE("dicom reader: one that dies is reported with the signal and its last words") {
  learner::test::TempDir dir("dicom_reader");
  ReaderOverride reader(script(dir, "echo 'gdcmPixelFormat.cxx:133: Assertion failed.' >&2\nkill -ABRT $$"));
  const std::string message = refusal(dir / "scan.dcm");
  CHECK_MESSAGE(message.find("is damaged: GDCM, the DICOM library, dies reading it (Aborted: gdcmPixelFormat.cxx:133: "
                             "Assertion failed.); copy or export the file again") != std::string::npos,
                message);
}

TEST_CASE("dicom reader: an exit without an answer, a garbled or a cut answer are reader failures naming the file") {
  learner::test::TempDir dir("dicom_reader");
  const std::string file = dir / "scan.dcm";
  {
    ReaderOverride reader(script(dir, "echo 'out of luck' >&2\nexit 7"));
    const std::string message = refusal(file);
    CHECK_MESSAGE(message.find("DICOM '" + file + "' could not be read: learner-dicom-reader ended with exit status 7 and "
                               "no answer: out of luck") != std::string::npos,
                  message);
    // Its own type: the fuzz harness tells a broken reader from a refused file by it.
    CHECK_THROWS_AS(run_dicom_reader(file, 1u << 20), DicomReaderFailure);
  }
  {
    ReaderOverride reader(script(dir, "printf x"));
    CHECK(refusal(file).find("the DICOM reader's answer for '" + file + "' is garbled") != std::string::npos);
    CHECK_THROWS_AS(run_dicom_reader(file, 1u << 20), DicomReaderFailure);
  }
  {
    ReaderOverride reader(script(dir, "printf oabc"));
    const std::string answer = run_dicom_reader(file, 1u << 20);
    CHECK(answer == "abc");
    CHECK_THROWS_WITH_AS(from_bytes(file, answer), doctest::Contains("is cut short"), DicomReaderFailure);
    DicomImage image;
    image.path = file;
    CHECK_THROWS_WITH_AS(from_bytes(file, to_bytes(image) + "z"), doctest::Contains("1 bytes left over"),
                         DicomReaderFailure);
  }
  {
    ReaderOverride reader(script(dir, "printf 'eDICOM is refused for a reason'"));
    CHECK(refusal(file) == "DICOM is refused for a reason");
    bool plain_error = false;
    try {
      run_dicom_reader(file, 1u << 20);
    } catch (const DicomReaderFailure&) {
    } catch (const learner::Error&) {
      plain_error = true;
    }
    CHECK_MESSAGE(plain_error, "a refusal is a plain learner::Error, not a DicomReaderFailure");
  }
}

TEST_CASE("dicom reader: LEARNER_DICOM_READER naming no executable says what to do") {
  ReaderOverride reader("/nonexistent/learner-dicom-reader");
  CHECK_THROWS_WITH(dicom_reader_executable(),
                    doctest::Contains("LEARNER_DICOM_READER names '/nonexistent/learner-dicom-reader', which is no "
                                      "executable; point it at the learner-dicom-reader of your build, or unset it"));
}
