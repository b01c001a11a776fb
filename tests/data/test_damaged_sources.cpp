// Importers refuse a file that holds fewer pixels than it promises (issue 10: pydicom's
// MR_truncated.dcm used to pack silently), naming the file, the frame and what to do, and
// `learner pack --skip-bad` leaves such a scan out and says so.
#include <doctest/doctest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <filesystem>
#include <fstream>

#include "data/sources/source.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"
#include "tests/util/source_files.h"

using namespace learner;
using namespace learner::data;

namespace {

std::string error_of(const std::string& path) {
  DecodeOptions o;
  o.size = 8;
  try {
    decode_source(path, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

uint64_t size_of(const std::string& path) { return std::filesystem::file_size(path); }

// Appends a DataSetTrailingPadding element (FFFC,FFFC), which sorts after the Pixel Data.
void append_trailing_padding(const std::string& path) {
  const char element[] = {'\xfc', '\xff', '\xfc', '\xff', 'O', 'B', 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::ofstream(path, std::ios::binary | std::ios::app).write(element, sizeof(element));
}

}  // namespace

TEST_CASE("a DICOM with short pixel data is refused with the frame that is cut short") {
  test::TempDir dir("damaged_dicom");
  // A Pixel Data element shorter than its image: 64 x 64, 16 bits, 8130 bytes of 8192.
  const std::string mr = dir / "short.dcm";
  test::write_dicom_raw(mr, 1, 64, 64, 16, std::vector<char>(8130, 7));
  CHECK(error_of(mr) == "DICOM '" + mr + "' is incomplete: its pixel data holds 8130 bytes where 64 x 64 pixels x 16 bits"
                        " x 1 samples x 1 frames need 8192; frame 1 of 1 is cut short; copy or export the file again from its source");
  // A cine loop of 4 frames of 10 x 10 with 3.5 frames of data.
  const std::string cine = dir / "cine.dcm";
  test::write_dicom_raw(cine, 4, 10, 10, 8, std::vector<char>(350, 9));
  CHECK(error_of(cine).find("holds 350 bytes where 10 x 10 pixels x 8 bits x 1 samples x 4 frames need 400; frame 4 of 4 is cut short") !=
        std::string::npos);
  // The complete files decode.
  test::write_dicom_raw(mr, 1, 64, 64, 16, std::vector<char>(8192, 7));
  CHECK(error_of(mr) == "(no error)");
}

TEST_CASE("a DICOM file cut inside its pixel data is refused, single, multi-frame or in a series") {
  test::TempDir dir("cut_dicom");
  // pydicom's MR_truncated.dcm: 64 x 64, 16 bits, the file ends 8130 bytes into the 8192 of
  // its pixel data, which an element after them (as in MR_small.dcm) does not hide.
  const std::string mr = dir / "MR_truncated.dcm";
  test::write_dicom_raw(mr, 1, 64, 64, 16, std::vector<char>(8192, 7));
  append_trailing_padding(mr);
  CHECK(error_of(mr) == "(no error)");
  test::truncate_file(mr, size_of(mr) - 20 - 62);
  CHECK(error_of(mr) == "DICOM '" + mr + "' is truncated: the file ends after 8130 of the 8192 bytes of its pixel data;"
                        " frame 1 of 1 is cut short; copy or export the file again from its source");
  const std::string cine = dir / "cine.dcm";
  test::write_dicom_multiframe(cine, 4, 10, 10);  // 400 bytes of pixels at the end of the file
  test::truncate_file(cine, size_of(cine) - 150);
  CHECK(error_of(cine) == "DICOM '" + cine + "' is truncated: the file ends after 250 of the 400 bytes of its pixel data;"
                          " frame 3 of 4 is cut short; copy or export the file again from its source");
  test::write_dicom_series(dir / "series", 4, 6, 6);
  const std::string slice = dir / "series/slice2.dcm";
  test::truncate_file(slice, size_of(slice) - 1);
  CHECK(error_of(dir / "series").find("DICOM '" + slice + "' is truncated: the file ends after 71 of the 72 bytes") == 0);
}

TEST_CASE("a truncated NIfTI volume is refused with the first incomplete slice") {
  test::TempDir dir("cut_nifti");
  const std::string nii = dir / "v.nii";
  test::write_nifti(nii, 8, 8, 4);  // int16: 128 bytes a slice, 512 in all
  test::truncate_file(nii, size_of(nii) - 200);
  CHECK(error_of(nii) == "NIfTI '" + nii + "' is truncated: its header promises 8 x 8 x 4 voxels of INT16 (512 bytes) but"
                         " the file holds 312; slice 3 of 4 (along the third axis) is cut short; copy or export the volume"
                         " again from its source");
  const std::string gz = dir / "v.nii.gz";
  test::write_nifti(gz, 8, 8, 4);
  test::truncate_file(gz, size_of(gz) - 8);  // the gzip trailer
  const std::string message = error_of(gz);
  CHECK_MESSAGE(message.find("NIfTI '" + gz + "'") != std::string::npos, message);
}

TEST_CASE("a frame folder with a truncated or odd-sized frame is refused, naming the frame") {
  test::TempDir dir("cut_frames");
  test::write_png_folder(dir / "png", 5, 12, 14);
  const std::string png = dir / "png/frame3.png";
  test::truncate_file(png, size_of(png) * 2 / 3);
  CHECK(error_of(dir / "png") == "cannot decode image '" + png + "' (frame 3 of 5): damaged, truncated or not an image;"
                                 " export the frame again or remove it");

  std::filesystem::create_directories(dir / "jpg");
  cv::Mat noise(24, 24, CV_8UC1);
  cv::randu(noise, 0, 255);  // noise, so that the JPEG data is long enough to cut
  for (int k = 1; k <= 4; ++k) REQUIRE(cv::imwrite(dir / ("jpg/f" + std::to_string(k) + ".jpg"), noise));
  CHECK(error_of(dir / "jpg") == "(no error)");
  const std::string jpg = dir / "jpg/f4.jpg";
  test::truncate_file(jpg, size_of(jpg) - 40);
  CHECK(error_of(dir / "jpg") == "image '" + jpg + "' (frame 4 of 4) is truncated: the JPEG data stops before its end marker,"
                                 " so its last rows are missing; export the frame again or remove it");

  test::write_png_folder(dir / "sizes", 3, 12, 14);
  REQUIRE(cv::imwrite(dir / "sizes/frame2.png", cv::Mat(12, 12, CV_8UC3, cv::Scalar::all(50))));
  CHECK(error_of(dir / "sizes").find("(frame 2 of 3) is 12 x 12 pixels but 'frame1.png' is 14 x 12; every frame of a clip "
                                     "must have one size") != std::string::npos);
}

TEST_CASE("a video with fewer frames than its header promises is refused") {
  test::TempDir dir("cut_video");
  const std::string avi = dir / "v.avi";
  {
    // Noise frames, so that the frames and not the header make up most of the file.
    cv::VideoWriter writer(avi, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 5.0, cv::Size(48, 48), true);
    REQUIRE(writer.isOpened());
    cv::Mat frame(48, 48, CV_8UC3);
    for (int k = 0; k < 8; ++k) {
      cv::randu(frame, 0, 255);
      writer.write(frame);
    }
  }
  CHECK(error_of(avi) == "(no error)");
  test::truncate_file(avi, size_of(avi) * 7 / 10);  // the index at the end goes, the header stays
  const std::string message = error_of(avi);
  CHECK_MESSAGE(message.find("video '" + avi + "' is incomplete: its header promises 8 frames but only ") == 0, message);
  CHECK(message.find("is missing or damaged (a truncated or partly copied file); copy or export it again") != std::string::npos);
}

TEST_CASE("pack refuses a truncated scan, and --skip-bad packs the rest and lists it") {
  test::TempDir dir("cut_pack");
  test::write_png_folder(dir / "a", 6, 16, 16);
  test::write_png_folder(dir / "b", 6, 16, 16);
  test::write_dicom_raw(dir / "mr.dcm", 1, 64, 64, 16, std::vector<char>(8130, 7));
  test::write_text(dir / "m.csv",
                   "patient_id,scan_id,order,score,path\n"
                   "p1,p1-a,1,150,a\np1,p1-b,2,300,mr.dcm\np2,p2-a,1,200,b\n");
  const std::string pack = test::learner_binary() + " pack --manifest " + (dir / "m.csv") + " --out " + (dir / "o.h5") +
                           " --size 16 --split 1,0,0";
  const test::CommandResult refused = test::run_command(pack);
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.output.find("m.csv line 3 (scan 'p1-b'): DICOM '" + (dir / "mr.dcm") + "' is incomplete") !=
                    std::string::npos,
                refused.output);
  CHECK(refused.output.find("pass --skip-bad to pack the rest") != std::string::npos);
  CHECK_FALSE(test::file_exists(dir / "o.h5"));

  const test::CommandResult skipped = test::run_command(pack + " --skip-bad");
  REQUIRE_MESSAGE(skipped.exit_code == 0, skipped.output);
  CHECK(skipped.output.find("o.h5: 2 scans") != std::string::npos);
  CHECK(skipped.output.find("skipped 1 bad rows (--skip-bad):") != std::string::npos);
  CHECK(skipped.output.find("line 3 (scan 'p1-b'): DICOM '" + (dir / "mr.dcm") + "' is incomplete: its pixel data holds 8130") !=
        std::string::npos);
}
