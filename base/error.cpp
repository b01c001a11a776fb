// The abort behind LEARNER_ASSERT: an internal invariant failed, so no caller can recover.
#include "base/error.h"

#include <cstdio>
#include <cstdlib>

namespace learner::detail {

void internal_failure(const char* cond, const std::string& message, const char* file, int line) {
  std::fprintf(stderr, "learner: internal error at %s:%d: %s: %s\n", file, line, cond,
               message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace learner::detail
