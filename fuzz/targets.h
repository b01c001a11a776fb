// The parsers of outside bytes, each behind one entry point that libFuzzer drives
// (fuzz/main.cpp) and the regression test replays (tests/data/test_fuzz_regressions.cpp).
// A target may throw learner::Error (a clear refusal); anything else is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace learner::fuzz {

void manifest_csv(const uint8_t* data, size_t size);  // data/manifest.cpp
void json_config(const uint8_t* data, size_t size);   // tools/json_config.cpp
void safetensors(const uint8_t* data, size_t size);   // framework/safetensors.cpp, header and body
void clip_store(const uint8_t* data, size_t size);    // data/clip_store.cpp, metadata and every frame
void dicom(const uint8_t* data, size_t size);         // data/sources/dicom.cpp
void nifti(const uint8_t* data, size_t size);         // data/sources/nifti.cpp

struct Target {
  const char* name;
  void (*run)(const uint8_t*, size_t);
};
const std::vector<Target>& targets();  // every target above, by name

}  // namespace learner::fuzz
