// Imaging sources: each kind decodes small generated files to the expected frames, and bad
// inputs give messages naming the file and the problem.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "data/sources/source.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"
#include "tests/util/source_files.h"

using namespace learner;
using namespace learner::data;

namespace {
DecodeOptions options(int size, int channels, Fit fit = Fit::Pad) {
  DecodeOptions o;
  o.size = size;
  o.channels = channels;
  o.fit = fit;
  return o;
}
int pixel(const DecodedClip& clip, int size, int channels, int f, int c, int r, int col) {
  const size_t plane = static_cast<size_t>(size) * static_cast<size_t>(size);
  return clip.pixels[(static_cast<size_t>(f) * static_cast<size_t>(channels) + static_cast<size_t>(c)) * plane +
                     static_cast<size_t>(r) * static_cast<size_t>(size) + static_cast<size_t>(col)];
}
}  // namespace

TEST_CASE("natural sort puts frame2 before frame10") {
  CHECK(natural_less("frame2.png", "frame10.png"));
  CHECK_FALSE(natural_less("frame10.png", "frame2.png"));
  CHECK(natural_less("a.png", "b.png"));
  CHECK(natural_less("img007", "img8"));
  CHECK(natural_less("x1", "x01") != natural_less("x01", "x1"));  // total order on ties
}

TEST_CASE("a folder of PNG frames decodes in natural order, RGB or gray, padded to square") {
  test::TempDir dir("src_png");
  test::write_png_folder(dir / "clip", 11, 6, 9);
  CHECK(detect_source(dir / "clip") == SourceKind::FrameFolder);
  const DecodedClip rgb = decode_source(dir / "clip", options(4, 3, Fit::Stretch), 0.5f);
  REQUIRE(rgb.frames == 11);
  CHECK(rgb.kind == SourceKind::FrameFolder);
  REQUIRE(rgb.pixels.size() == 11u * 3 * 4 * 4);
  for (int k = 0; k < 11; ++k) {
    uint8_t want[3];
    test::rgb_of_frame(k, want);
    for (int c = 0; c < 3; ++c) CHECK(pixel(rgb, 4, 3, k, c, 2, 1) == want[c]);
  }
  CHECK(rgb.pixel_spacing == doctest::Approx(0.5 * 9 / 4));
  // Pad keeps the aspect ratio: a 9 x 6 frame in a 9 x 9 square leaves black bands top and bottom.
  const DecodedClip gray = decode_source(dir / "clip", options(9, 1, Fit::Pad));
  uint8_t want[3];
  test::rgb_of_frame(0, want);
  CHECK(pixel(gray, 9, 1, 0, 0, 0, 4) == 0);
  CHECK(std::abs(pixel(gray, 9, 1, 0, 0, 4, 4) - (0.299 * want[0] + 0.587 * want[1] + 0.114 * want[2])) <= 1.0);
  CHECK(gray.pixel_spacing == 0.f);  // unknown unless given
}

TEST_CASE("a video decodes every frame with its frame rate") {
  test::TempDir dir("src_video");
  for (const char* name : {"clip.avi", "clip.mp4"}) {
    CAPTURE(name);
    const std::string path = dir / name;
    if (!test::write_video(path, 5, 48, 64, 10.0)) {
      MESSAGE("this OpenCV cannot write ", name, "; skipped");
      continue;
    }
    CHECK(detect_source(path) == SourceKind::Video);
    const DecodedClip clip = decode_source(path, options(8, 1));
    REQUIRE(clip.frames == 5);
    CHECK(clip.fps == doctest::Approx(10.0));
    for (int k = 0; k < 5; ++k) CHECK(std::abs(pixel(clip, 8, 1, k, 0, 4, 4) - (30 + 40 * k)) <= 8);
  }
}

TEST_CASE("a NIfTI volume gives one windowed frame per slice along the chosen axis") {
  test::TempDir dir("src_nifti");
  const std::string path = dir / "brain.nii.gz";
  test::write_nifti(path, 5, 5, 3);
  CHECK(detect_source(path) == SourceKind::Nifti);
  DecodeOptions o = options(5, 1);
  o.window_low = 0.f;
  o.window_high = 100.f;  // min -> 0, max (244) -> 255
  const DecodedClip clip = decode_source(path, o);
  REQUIRE(clip.frames == 3);
  for (int z = 0; z < 3; ++z) {
    for (int r : {0, 4}) {
      for (int c : {0, 3}) {
        const double v = 100 * z + 10 * (4 - r) + c;  // row 0 is the top (highest y)
        CHECK(pixel(clip, 5, 1, z, 0, r, c) == static_cast<int>(std::lround(v * 255.0 / 244.0)));
      }
    }
  }
  CHECK(clip.pixel_spacing == doctest::Approx(0.5));
  o.slice_axis = 0;
  o.size = 4;
  const DecodedClip sagittal = decode_source(path, o);
  CHECK(sagittal.frames == 5);
  CHECK(sagittal.pixel_spacing == doctest::Approx(0.7 * 5 / 4));  // y spacing, 5 x 3 padded to 5 x 5
}

TEST_CASE("DICOM multi-frame cine and single-frame series decode in order") {
  test::TempDir dir("src_dicom");
  const std::string cine = dir / "cine.dcm";
  test::write_dicom_multiframe(cine, 4, 7, 7);
  CHECK(detect_source(cine) == SourceKind::Dicom);
  const DecodedClip clip = decode_source(cine, options(7, 1));
  REQUIRE(clip.frames == 4);
  CHECK(clip.fps == doctest::Approx(25.0));
  CHECK(clip.pixel_spacing == doctest::Approx(0.3));
  for (int f = 0; f < 4; ++f) CHECK(pixel(clip, 7, 1, f, 0, 2, 5) == 10 * f + 3 * 2 + 5);
  const DecodedClip rgb = decode_source(cine, options(7, 3));
  CHECK(pixel(rgb, 7, 3, 3, 2, 6, 6) == 30 + 18 + 6);

  test::write_dicom_series(dir / "series", 5, 6, 6);
  CHECK(detect_source(dir / "series") == SourceKind::DicomSeries);
  const DecodedClip series = decode_source(dir / "series", options(6, 1));
  REQUIRE(series.frames == 5);
  for (int s = 1; s < 5; ++s) {
    CHECK(pixel(series, 6, 1, s, 0, 3, 3) > pixel(series, 6, 1, s - 1, 0, 3, 3));  // InstanceNumber order
  }
}

TEST_CASE("bad sources name the file and the problem") {
  test::TempDir dir("src_bad");
  auto error_of = [&](const std::string& path) -> std::string {
    try {
      decode_source(path, options(8, 1));
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(error_of(dir / "none.mp4") == "'" + (dir / "none.mp4") + "' does not exist");
  test::write_text(dir / "notes.txt", "hello");
  CHECK(error_of(dir / "notes.txt").find("has an unknown format") != std::string::npos);
  test::write_text(dir / "broken.mp4", std::string(2000, 'x'));
  CHECK(error_of(dir / "broken.mp4").find("cannot open video '" + (dir / "broken.mp4") + "'") == 0);
  test::write_text(dir / "broken.nii", std::string(400, '\1'));
  CHECK(error_of(dir / "broken.nii").find("cannot read NIfTI volume") == 0);
  test::write_text(dir / "broken.dcm", std::string(300, '\0'));
  CHECK(error_of(dir / "broken.dcm").find("cannot read DICOM image") == 0);
  std::filesystem::create_directories(dir / "empty");
  CHECK(error_of(dir / "empty").find("holds no image frames") != std::string::npos);
  test::write_png_folder(dir / "one", 1, 4, 4);
  CHECK(error_of(dir / "one/frame1.png").find("is a single image") != std::string::npos);
  test::write_text(dir / "one/frame2.png", "not a png");
  CHECK(error_of(dir / "one").find("cannot decode image") == 0);
  std::filesystem::create_directories(dir / "mixed");
  test::write_dicom_multiframe(dir / "mixed/a.dcm", 2, 4, 4);
  test::write_png_folder(dir / "mixed", 1, 4, 4);
  CHECK(error_of(dir / "mixed").find("mixes 1 image frames and 1 DICOM files") != std::string::npos);
  test::write_video(dir / "empty.avi", 0, 8, 8, 5.0);
  CHECK(error_of(dir / "empty.avi").find("empty") != std::string::npos);
}
