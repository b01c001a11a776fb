// Rank-ordered reduction of gathered blocks (see host_reduce.h).
#include "parallel/host_reduce.h"

namespace learner::dist {

void reduce_rank_blocks_cpu(float* out, const float* blocks, int64_t R, int64_t n, ReduceOp op) {
  const double count = static_cast<double>(R);
  // Each element is summed over r in a fixed order; elements are independent.
#pragma omp parallel for schedule(static) if (n * R > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t r = 0; r < R; ++r) s += blocks[r * n + i];
    out[i] = static_cast<float>(op == ReduceOp::Average ? s / count : s);
  }
}

}  // namespace learner::dist
