// The deterministic reduction shared by the CPU engines: blocks from every rank summed in
// double in rank order 0..R-1, then rounded once, so all ranks and all reruns agree bitwise.
#pragma once

#include <cstdint>

#include "parallel/communicator.h"

namespace learner::dist {

// out (n) = sum_r blocks[r] (Sum) or that sum / R (Average); blocks is (R, n). Overwrites out;
// out may alias blocks[0].
void reduce_rank_blocks_cpu(float* out, const float* blocks, int64_t R, int64_t n, ReduceOp op);

}  // namespace learner::dist
