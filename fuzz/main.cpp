// libFuzzer entry point of one target, chosen at build time (LEARNER_FUZZ_TARGET).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  learner::fuzz::LEARNER_FUZZ_TARGET(data, size);
  return 0;
}
