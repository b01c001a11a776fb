// Before a DICOM image is decoded: does the file hold every pixel its header promises?
// GDCM reads a short Pixel Data element, or a file cut inside it, without complaint and
// hands back a buffer whose tail is zeros, so pack checks the bytes itself.
#pragma once

#include <cstdint>
#include <string>

namespace gdcm {
class Image;
}

namespace learner::data::sources {

// Throws learner::Error naming `path`, the first incomplete frame and what to do when the
// Pixel Data of `image` (as read from `path`) is shorter than rows x columns x frames x
// bits allocated x samples, when the file ends inside it, or when compressed pixel data
// has fewer fragments than frames. Decoder failures are reported where the buffer is read.
void check_dicom_pixel_data(const std::string& path, const gdcm::Image& image);

// The refusal of a file that ends `present` bytes into the `due` bytes of its pixel data
// (`frames` frames): the same words whether the element walk or the check above finds it.
std::string truncated_pixel_data_message(const std::string& path, uint64_t present, uint64_t due, uint64_t frames);

}  // namespace learner::data::sources
