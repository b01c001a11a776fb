// Source: DICOM read with GDCM, in the DICOM reader process only (main.cpp here): either one
// file (a multi-frame cine loop, or one image) or one slice of a series. Palette colour is
// applied, YBR becomes RGB, monochrome pixels are rescaled by slope and intercept.
#include "data/sources/dicom_reader/gdcm_decode.h"

#include <gdcmAttribute.h>
#include <gdcmImage.h>
#include <gdcmImageApplyLookupTable.h>
#include <gdcmImageReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "data/sources/dicom_pixel_check.h"

namespace learner::data::sources {
namespace {

template <uint16_t Group, uint16_t Element>
bool find_attribute(const gdcm::DataSet& ds, gdcm::Attribute<Group, Element>& attribute) {
  if (!ds.FindDataElement(attribute.GetTag()) || ds.GetDataElement(attribute.GetTag()).IsEmpty()) return false;
  attribute.SetFromDataSet(ds);
  return true;
}

// The first item of sequence `tag` in `ds`, or null.
const gdcm::DataSet* first_item(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  if (!ds.FindDataElement(tag)) return nullptr;
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = ds.GetDataElement(tag).GetValueAsSQ();
  if (!sq || sq->GetNumberOfItems() == 0) return nullptr;
  return &sq->GetItem(1).GetNestedDataSet();
}

// mm per source pixel along a row: PixelSpacing (top level, or in the shared functional
// groups of enhanced multi-frame objects), ImagerPixelSpacing, NominalScannedPixelSpacing,
// else the first ultrasound region's PhysicalDeltaX when its unit is cm.
double column_spacing(const gdcm::DataSet& ds) {
  gdcm::Attribute<0x0028, 0x0030> pixel;
  if (find_attribute(ds, pixel) && pixel.GetValue(1) > 0) return pixel.GetValue(1);
  if (const gdcm::DataSet* shared = first_item(ds, gdcm::Tag(0x5200, 0x9229))) {
    if (const gdcm::DataSet* measures = first_item(*shared, gdcm::Tag(0x0028, 0x9110))) {
      if (find_attribute(*measures, pixel) && pixel.GetValue(1) > 0) return pixel.GetValue(1);
    }
  }
  gdcm::Attribute<0x0018, 0x1164> imager;
  if (find_attribute(ds, imager) && imager.GetValue(1) > 0) return imager.GetValue(1);
  gdcm::Attribute<0x0018, 0x2010> scanned;
  if (find_attribute(ds, scanned) && scanned.GetValue(1) > 0) return scanned.GetValue(1);
  if (const gdcm::DataSet* region = first_item(ds, gdcm::Tag(0x0018, 0x6011))) {
    gdcm::Attribute<0x0018, 0x6024> units;
    gdcm::Attribute<0x0018, 0x602c> delta;
    if (find_attribute(*region, units) && find_attribute(*region, delta) && units.GetValue() == 3 &&
        delta.GetValue() > 0) {
      return delta.GetValue() * 10.0;  // cm -> mm
    }
  }
  return 0;
}

double frame_rate(const gdcm::DataSet& ds) {
  gdcm::Attribute<0x0018, 0x0040> cine_rate;
  if (find_attribute(ds, cine_rate) && cine_rate.GetValue() > 0) return cine_rate.GetValue();
  gdcm::Attribute<0x0018, 0x1063> frame_time_ms;
  if (find_attribute(ds, frame_time_ms) && frame_time_ms.GetValue() > 0) return 1000.0 / frame_time_ms.GetValue();
  gdcm::Attribute<0x0008, 0x2144> display_rate;
  if (find_attribute(ds, display_rate) && display_rate.GetValue() > 0) return display_rate.GetValue();
  return 0;
}

template <typename T>
void rescale(const char* buffer, size_t n, double slope, double inter, std::vector<float>& out) {
  const T* src = reinterpret_cast<const T*>(buffer);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<double>(src[i]) * slope + inter);
}

}  // namespace

DicomImage decode_with_gdcm(const std::string& path) {
  gdcm::Trace::WarningOff();  // GDCM's notes on stderr; we report errors ourselves
  gdcm::Trace::ErrorOff();
  gdcm::ImageReader reader;
  reader.SetFileName(path.c_str());
  LEARNER_CHECK(reader.Read(), "cannot read DICOM image '", path, "' (damaged, no pixel data, or an unsupported transfer syntax)");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  check_dicom_pixel_data(path, reader.GetImage());
  gdcm::ImageApplyLookupTable palette;
  const gdcm::Image* image = &reader.GetImage();
  if (image->GetPhotometricInterpretation() == gdcm::PhotometricInterpretation::PALETTE_COLOR) {
    palette.SetInput(*image);
    LEARNER_CHECK(palette.Apply(), "cannot apply the palette of DICOM '", path, "'");
    image = &palette.GetOutput();
  }
  DicomImage out;
  out.path = path;
  const unsigned* dims = image->GetDimensions();
  out.cols = dims[0];
  out.rows = dims[1];
  out.frames = image->GetNumberOfDimensions() > 2 ? dims[2] : 1;
  const gdcm::PixelFormat& pf = image->GetPixelFormat();
  out.samples = pf.GetSamplesPerPixel();
  LEARNER_CHECK(out.cols > 0 && out.rows > 0 && out.frames > 0, "DICOM '", path, "' has an empty image");
  LEARNER_CHECK(out.samples == 1 || out.samples == 3, "DICOM '", path, "' has ", out.samples,
                " samples per pixel; pack reads 1 (monochrome) or 3 (colour)");
  std::vector<char> buffer(image->GetBufferLength());
  LEARNER_CHECK(image->GetBuffer(buffer.data()), "cannot decode the pixel data of DICOM '", path,
                "': damaged, or compressed with a codec GDCM lacks; export it again, uncompressed");
  const size_t pixels = static_cast<size_t>(out.cols) * out.rows * out.frames;
  const gdcm::PhotometricInterpretation pi = image->GetPhotometricInterpretation();
  if (out.samples == 3) {
    LEARNER_CHECK(pf.GetBitsAllocated() == 8 && buffer.size() >= pixels * 3, "DICOM '", path,
                  "' holds colour pixels that are not 8-bit RGB (", pf.GetBitsAllocated(), " bits, ",
                  pi.GetString(), ")");
    out.rgb.resize(pixels * 3);
    const size_t plane = static_cast<size_t>(out.cols) * out.rows;
    for (size_t f = 0; f < out.frames; ++f) {
      for (size_t p = 0; p < plane; ++p) {
        for (size_t c = 0; c < 3; ++c) {
          // Planar configuration 1 stores each frame as RRR...GGG...BBB.
          const size_t src = image->GetPlanarConfiguration() == 1 ? f * plane * 3 + c * plane + p : (f * plane + p) * 3 + c;
          out.rgb[(f * plane + p) * 3 + c] = static_cast<uint8_t>(buffer[src]);
        }
      }
    }
    if (pi == gdcm::PhotometricInterpretation::YBR_FULL || pi == gdcm::PhotometricInterpretation::YBR_FULL_422) {
      for (size_t p = 0; p < pixels; ++p) {
        uint8_t* px = &out.rgb[p * 3];
        const double y = px[0], cb = px[1] - 128.0, cr = px[2] - 128.0;
        const double rgb[3] = {y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb};
        for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>(std::lround(std::clamp(rgb[c], 0.0, 255.0)));
      }
    }
  } else {
    const double slope = image->GetSlope(), inter = image->GetIntercept();
    const bool is_signed = pf.GetPixelRepresentation() == 1;
    switch (pf.GetBitsAllocated()) {
      case 8:
        if (is_signed) rescale<int8_t>(buffer.data(), pixels, slope, inter, out.mono);
        else rescale<uint8_t>(buffer.data(), pixels, slope, inter, out.mono);
        out.plain_8bit = !is_signed && slope == 1.0 && inter == 0.0;
        break;
      case 16:
        if (is_signed) rescale<int16_t>(buffer.data(), pixels, slope, inter, out.mono);
        else rescale<uint16_t>(buffer.data(), pixels, slope, inter, out.mono);
        break;
      case 32:
        if (is_signed) rescale<int32_t>(buffer.data(), pixels, slope, inter, out.mono);
        else rescale<uint32_t>(buffer.data(), pixels, slope, inter, out.mono);
        break;
      default:
        throw Error(str("DICOM '", path, "' has ", pf.GetBitsAllocated(), "-bit pixels; pack reads 8, 16 or 32"));
    }
    out.invert = pi == gdcm::PhotometricInterpretation::MONOCHROME1;
  }
  out.spacing = column_spacing(ds);
  out.fps = frame_rate(ds);
  gdcm::Attribute<0x0020, 0x0013> instance;
  out.has_instance = find_attribute(ds, instance);
  if (out.has_instance) out.instance = instance.GetValue();
  gdcm::Attribute<0x0020, 0x0032> position;
  gdcm::Attribute<0x0020, 0x0037> orientation;
  out.has_position = find_attribute(ds, position);
  if (out.has_position) {
    for (int i = 0; i < 3; ++i) out.position[i] = position.GetValue(static_cast<unsigned>(i));
    if (find_attribute(ds, orientation)) {
      for (int i = 0; i < 6; ++i) out.orientation[i] = orientation.GetValue(static_cast<unsigned>(i));
    }
  }
  return out;
}

}  // namespace learner::data::sources
