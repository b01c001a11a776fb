// Writes small imaging files for the source and pack tests: PNG folders, videos, NIfTI
// volumes and DICOM (multi-frame and single-frame series), with known pixel values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace learner::test {

// Frames named frame1.png, frame2.png, ..., frame<n>.png (n >= 10 exercises natural order);
// frame k (0-based) is filled with the RGB colour rgb_of_frame(k). Size cols x rows.
void write_png_folder(const std::string& dir, int frames, int rows, int cols);
void rgb_of_frame(int k, uint8_t rgb[3]);

// An MJPG .avi (or mp4v .mp4, by extension) whose frame k is gray level 30 + 40 * k.
// Returns false when this OpenCV cannot write that container.
bool write_video(const std::string& path, int frames, int rows, int cols, double fps);

// An int16 volume nx x ny x nz with value 100 * z + 10 * y + x, pixdim 0.5 mm (x), 0.7 (y), 2 (z).
void write_nifti(const std::string& path, int nx, int ny, int nz);

// A multi-frame 8-bit MONOCHROME2 DICOM with pixel (f, r, c) = 10 * f + 3 * r + c and
// FrameTime 40 ms (25 fps), PixelSpacing 0.3 mm.
void write_dicom_multiframe(const std::string& path, int frames, int rows, int cols);

// `count` single-frame int16 MONOCHROME2 slices, slice s having value 1000 * s + r * cols + c,
// stored under file names in reverse order of InstanceNumber (s + 1) so that only the
// InstanceNumber gives the right order.
void write_dicom_series(const std::string& dir, int count, int rows, int cols);

// A MONOCHROME2 DICOM of `frames` x `rows` x `cols` unsigned pixels of `bits` (8 or 16) whose
// Pixel Data element holds exactly `pixel_data`, however long: for damaged files.
void write_dicom_raw(const std::string& path, int frames, int rows, int cols, int bits, const std::vector<char>& pixel_data);

// Cuts `path` to its first `bytes` bytes, as an interrupted copy does.
void truncate_file(const std::string& path, uint64_t bytes);

}  // namespace learner::test
