// CPU index range check: a forward scan.
#include "kernels/index_check.h"

namespace learner {

namespace {
template <typename I>
int64_t first_bad(const I* index, int64_t n, int64_t limit) {
  for (int64_t p = 0; p < n; ++p)
    if (index[p] < 0 || static_cast<int64_t>(index[p]) >= limit) return p;
  return -1;
}
}  // namespace

int64_t first_bad_index_cpu(const int64_t* index, int64_t n, int64_t limit) {
  return first_bad(index, n, limit);
}
int64_t first_bad_index_cpu(const int32_t* index, int64_t n, int64_t limit) {
  return first_bad(index, n, limit);
}

}  // namespace learner
