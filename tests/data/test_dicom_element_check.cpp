// The DICOM element walk that runs before GDCM (data/sources/dicom_element_check.h), on small
// explicit-VR little-endian files written here byte by byte: nested sequences it must accept,
// and broken nesting it must refuse (GDCM reads such files as mixed VR and allocates gigabytes).
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "base/error.h"
#include "data/sources/dicom_element_check.h"
#include "tests/util/data_test_util.h"

namespace {

using learner::data::sources::check_dicom_elements;

std::string u16(uint32_t v) { return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)}; }
std::string u32(uint32_t v) { return u16(v & 0xffff) + u16(v >> 16); }
std::string tag(uint32_t group, uint32_t element) { return u16(group) + u16(element); }

// An element with a short explicit header (2-byte length).
std::string short_element(uint32_t group, uint32_t element, const char* vr, const std::string& value) {
  return tag(group, element) + vr + u16(static_cast<uint32_t>(value.size())) + value;
}
// A sequence header (SQ, 4-byte length; 0xffffffff = undefined).
std::string sequence(uint32_t group, uint32_t element, uint32_t length) {
  return tag(group, element) + "SQ" + std::string(2, '\0') + u32(length);
}
std::string item(uint32_t length) { return tag(0xfffe, 0xe000) + u32(length); }
const std::string kItemEnd = tag(0xfffe, 0xe00d) + u32(0);
const std::string kSequenceEnd = tag(0xfffe, 0xe0dd) + u32(0);

// Preamble, "DICM", a meta group naming explicit VR little endian (bytes 132-159), then
// `data_set` from byte 160.
std::string dicom(const std::string& data_set) {
  return std::string(128, '\0') + "DICM" + short_element(0x0002, 0x0010, "UI", std::string("1.2.840.10008.1.2.1") + '\0') +
         data_set;
}

// The walk's refusal of `bytes` written as a file, or "(accepted)".
std::string walk(const std::string& bytes) {
  learner::test::TempDir dir("dicom_walk");
  const std::string path = dir / "scan.dcm";
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    check_dicom_elements(path);
  } catch (const learner::Error& e) {
    return e.what();
  }
  return "(accepted)";
}

const std::string kName = short_element(0x0010, 0x0010, "PN", "DOE^JO");
const std::string kRows = short_element(0x0028, 0x0010, "US", u16(2));

}  // namespace

TEST_CASE("dicom element walk: nested sequences of defined and undefined length are accepted") {
  // Undefined-length sequence of an undefined-length item, inside a defined-length item of a
  // defined-length sequence, then more elements at the top level.
  const std::string inner = sequence(0x0040, 0xa730, 0xffffffffu) + item(0xffffffffu) + kName + kItemEnd + kSequenceEnd;
  const std::string outer_item = item(static_cast<uint32_t>(inner.size() + kRows.size())) + inner + kRows;
  const std::string data_set = sequence(0x0008, 0x1115, static_cast<uint32_t>(outer_item.size())) + outer_item + kName;
  CHECK(walk(dicom(data_set)) == "(accepted)");
  CHECK(walk(dicom(sequence(0x0008, 0x1115, 0) + kName)) == "(accepted)");  // an empty sequence
}

TEST_CASE("dicom element walk: item and delimiter tags outside what they belong to are refused") {
  SUBCASE("an item in the data set itself") {
    const std::string message = walk(dicom(kName + item(0xffffffffu) + kRows + kItemEnd));
    CHECK_MESSAGE(message.find("is damaged: item tag (fffe,e000) stands outside any sequence at byte 174") != std::string::npos,
                  message);
  }
  SUBCASE("an item delimiter with no open item") {
    const std::string message = walk(dicom(kName + kItemEnd + kRows));
    CHECK_MESSAGE(message.find("item delimiter (fffe,e00d) closes no open item of undefined length at byte 174") !=
                      std::string::npos,
                  message);
  }
  SUBCASE("a sequence delimiter after the sequence was closed") {
    const std::string message = walk(dicom(sequence(0x0008, 0x1115, 0xffffffffu) + kSequenceEnd + kSequenceEnd + kName));
    CHECK_MESSAGE(message.find("sequence delimiter (fffe,e0dd) closes no open sequence of undefined length at byte 180") !=
                      std::string::npos,
                  message);
  }
  SUBCASE("an item directly inside an item") {
    const std::string message = walk(dicom(sequence(0x0008, 0x1115, 0xffffffffu) + item(0xffffffffu) + item(0)));
    CHECK_MESSAGE(message.find("item tag (fffe,e000) stands outside any sequence at byte 180") != std::string::npos, message);
  }
}

TEST_CASE("dicom element walk: elements that break out of their sequence or item are refused") {
  SUBCASE("an element inside a sequence but outside its items") {
    const std::string message = walk(dicom(sequence(0x0008, 0x1115, 0xffffffffu) + kName + kSequenceEnd));
    CHECK_MESSAGE(message.find("element (0010,0010) stands inside a sequence but outside its items at byte 172") !=
                      std::string::npos,
                  message);
  }
  SUBCASE("an element that runs past the end of its defined-length item") {
    // The item declares 4 bytes; the 14-byte name element inside it ends 10 bytes later.
    const std::string body = item(4) + kName;
    const std::string message = walk(dicom(sequence(0x0008, 0x1115, static_cast<uint32_t>(body.size())) + body + kRows));
    CHECK_MESSAGE(message.find("an element ends 10 bytes past the end of the item that holds it") != std::string::npos,
                  message);
  }
  SUBCASE("an item longer than the file") {
    const std::string message = walk(dicom(sequence(0x0008, 0x1115, 0xffffffffu) + item(1000) + kName));
    CHECK_MESSAGE(message.find("item (fffe,e000) declares 1000 bytes but the file ends 14 bytes after its header") !=
                      std::string::npos,
                  message);
  }
}

namespace {

// Pixel Data (OW, 4-byte length) declaring `declared` bytes, followed by `held` bytes.
std::string pixel_data(uint32_t declared, size_t held) {
  return tag(0x7fe0, 0x0010) + "OW" + std::string(2, '\0') + u32(declared) + std::string(held, '\x07');
}
// 10 x 10 pixels, 8 bits, 4 frames: 400 bytes of pixels.
const std::string kCineAttributes = short_element(0x0028, 0x0008, "IS", "4 ") + short_element(0x0028, 0x0010, "US", u16(10)) +
                                    short_element(0x0028, 0x0011, "US", u16(10)) +
                                    short_element(0x0028, 0x0100, "US", u16(8));

}  // namespace

TEST_CASE("dicom element walk: a file that ends inside its Pixel Data is refused before GDCM allocates it") {
  SUBCASE("cut short: the frame that is cut is named from the image attributes") {
    const std::string message = walk(dicom(kCineAttributes + pixel_data(400, 250)));
    CHECK_MESSAGE(message.find("is truncated: the file ends after 250 of the 400 bytes of its pixel data; frame 3 of 4 is cut "
                               "short; copy or export the file again from its source") != std::string::npos,
                  message);
  }
  SUBCASE("a length no image explains") {
    const std::string message = walk(dicom(kCineAttributes + pixel_data(0xfe00003cu, 250)));
    CHECK_MESSAGE(message.find("is damaged: Pixel Data (7fe0,0010) declares 4261412924 bytes but the file ends 250 bytes "
                               "after its header at byte 200") != std::string::npos,
                  message);
  }
  SUBCASE("no image attributes before it") {
    const std::string message = walk(dicom(pixel_data(400, 250)));
    CHECK_MESSAGE(message.find("is damaged: Pixel Data (7fe0,0010) declares 400 bytes but the file ends 250") != std::string::npos,
                  message);
  }
  CHECK(walk(dicom(kCineAttributes + pixel_data(400, 400))) == "(accepted)");
}

TEST_CASE("dicom element walk: a meta group without preamble or VR is read as implicit VR, as GDCM reads it") {
  // (0002,0010) Transfer Syntax, implicit: tag, 4-byte length, value; then the data set.
  const std::string uid = std::string("1.2.840.10008.1.2") + '\0';
  const std::string meta = tag(0x0002, 0x0010) + u32(static_cast<uint32_t>(uid.size())) + uid;
  const std::string name = tag(0x0010, 0x0010) + u32(6) + "DOE^JO";
  CHECK(walk(meta + name) == "(accepted)");
  const std::string message = walk(meta + tag(0x0002, 0x0013) + u32(5000) + "GDCM");
  CHECK_MESSAGE(message.find("is damaged: element (0002,0013) at byte 26 declares 5000 bytes but the file ends 4 bytes") !=
                    std::string::npos,
                message);
}
