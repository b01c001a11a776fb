// Host allocation: aligned_alloc / free.
#include "base/host_allocator.h"

#include <cstdlib>

#include "base/error.h"

namespace learner {

namespace {
constexpr size_t kHostAlignment = 64;
}

void* host_allocate(size_t nbytes) {
  const size_t rounded = (nbytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void* data = std::aligned_alloc(kHostAlignment, rounded == 0 ? kHostAlignment : rounded);
  if (data == nullptr) throw Error(str("out of host memory allocating ", nbytes, " bytes"));
  return data;
}

void host_release(void* data, size_t) { std::free(data); }

}  // namespace learner
