// Small imaging files with known contents, written with the same libraries pack reads with
// (OpenCV, niftilib, GDCM) but through their writers.
#include "tests/util/source_files.h"

#include <gdcmAttribute.h>
#include <gdcmImageWriter.h>
#include <gdcmTrace.h>
#include <nifti2_io.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <filesystem>
#include <stdexcept>

namespace learner::test {

void rgb_of_frame(int k, uint8_t rgb[3]) {
  rgb[0] = static_cast<uint8_t>(20 + 17 * k);
  rgb[1] = static_cast<uint8_t>(200 - 13 * k);
  rgb[2] = static_cast<uint8_t>(60 + 5 * k);
}

void write_png_folder(const std::string& dir, int frames, int rows, int cols) {
  std::filesystem::create_directories(dir);
  for (int k = 0; k < frames; ++k) {
    uint8_t rgb[3];
    rgb_of_frame(k, rgb);
    cv::Mat frame(rows, cols, CV_8UC3, cv::Scalar(rgb[2], rgb[1], rgb[0]));  // OpenCV is BGR
    if (!cv::imwrite(dir + "/frame" + std::to_string(k + 1) + ".png", frame)) throw std::runtime_error("imwrite");
  }
}

bool write_video(const std::string& path, int frames, int rows, int cols, double fps) {
  const bool mp4 = path.size() > 4 && path.substr(path.size() - 4) == ".mp4";
  const int fourcc = mp4 ? cv::VideoWriter::fourcc('m', 'p', '4', 'v') : cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  cv::VideoWriter writer(path, cv::CAP_FFMPEG, fourcc, fps, cv::Size(cols, rows), true);
  if (!writer.isOpened()) return false;
  for (int k = 0; k < frames; ++k) {
    writer.write(cv::Mat(rows, cols, CV_8UC3, cv::Scalar::all(30 + 40 * k)));
  }
  return true;
}

void write_nifti(const std::string& path, int nx, int ny, int nz) {
  const int64_t dims[8] = {3, nx, ny, nz, 1, 1, 1, 1};
  nifti_image* nim = nifti_make_new_nim(dims, NIFTI_TYPE_INT16, 1);
  auto* data = static_cast<int16_t*>(nim->data);
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) data[x + nx * (y + ny * z)] = static_cast<int16_t>(100 * z + 10 * y + x);
  nim->pixdim[1] = nim->dx = 0.5;
  nim->pixdim[2] = nim->dy = 0.7;
  nim->pixdim[3] = nim->dz = 2.0;
  nim->xyz_units = NIFTI_UNITS_MM;
  nifti_set_filenames(nim, path.c_str(), 0, 1);
  nifti_image_write(nim);
  nifti_image_free(nim);
}

namespace {
void write_dicom(const std::string& path, int frames, int rows, int cols, const gdcm::PixelFormat& format,
                 const std::vector<char>& pixels, int instance, bool multiframe_timing) {
  gdcm::Trace::WarningOff();
  gdcm::ImageWriter writer;
  gdcm::Image& image = writer.GetImage();
  image.SetNumberOfDimensions(frames > 1 ? 3 : 2);
  image.SetDimension(0, static_cast<unsigned>(cols));
  image.SetDimension(1, static_cast<unsigned>(rows));
  if (frames > 1) image.SetDimension(2, static_cast<unsigned>(frames));
  image.SetPixelFormat(format);
  image.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::MONOCHROME2);
  image.SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  gdcm::DataElement pixel_data(gdcm::Tag(0x7fe0, 0x0010));
  pixel_data.SetByteValue(pixels.data(), static_cast<uint32_t>(pixels.size()));
  image.SetDataElement(pixel_data);
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  gdcm::Attribute<0x0020, 0x0013> number;
  number.SetValue(instance);
  ds.Replace(number.GetAsDataElement());
  image.SetSpacing(0, 0.3);  // GDCM writes it to the spacing tag of the storage class
  image.SetSpacing(1, 0.3);
  if (multiframe_timing) {
    gdcm::Attribute<0x0018, 0x1063> frame_time;
    frame_time.SetValue(40.0);
    ds.Replace(frame_time.GetAsDataElement());
  }
  writer.SetFileName(path.c_str());
  if (!writer.Write()) throw std::runtime_error("gdcm write failed: " + path);
}
}  // namespace

void write_dicom_multiframe(const std::string& path, int frames, int rows, int cols) {
  std::vector<char> pixels;
  for (int f = 0; f < frames; ++f)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) pixels.push_back(static_cast<char>(10 * f + 3 * r + c));
  write_dicom(path, frames, rows, cols, gdcm::PixelFormat::UINT8, pixels, 1, true);
}

void write_dicom_raw(const std::string& path, int frames, int rows, int cols, int bits, const std::vector<char>& pixel_data) {
  write_dicom(path, frames, rows, cols, bits == 16 ? gdcm::PixelFormat::UINT16 : gdcm::PixelFormat::UINT8, pixel_data, 1,
              frames > 1);
}

void truncate_file(const std::string& path, uint64_t bytes) { std::filesystem::resize_file(path, bytes); }

void write_dicom_series(const std::string& dir, int count, int rows, int cols) {
  std::filesystem::create_directories(dir);
  for (int s = 0; s < count; ++s) {
    std::vector<char> pixels(static_cast<size_t>(rows * cols) * 2);
    auto* values = reinterpret_cast<int16_t*>(pixels.data());
    for (int i = 0; i < rows * cols; ++i) values[i] = static_cast<int16_t>(1000 * s + i);
    const std::string name = dir + "/slice" + std::to_string(count - s) + ".dcm";
    write_dicom(name, 1, rows, cols, gdcm::PixelFormat::INT16, pixels, s + 1, false);
  }
}

}  // namespace learner::test
