// Positive / negative mining for the contrastive loss (SPEC.md section 6), per anchor row of
// G distance matrices. Overwrites `roles`.
//
// For anchor i the B-1 others j != i are ordered by (d_ij, j) ascending: exact ties in d go to
// the smaller index. With k = floor(B/2), the first k-1 of that order are positives, the last k
// negatives; for odd B the one in the middle (order position k-1) is neither, and so is j = i.
// B = 2 and B = 3 give k = 1: no positives and one negative per anchor.
// d must be finite and >= 0 (it is |y_i - y_j|); a NaN has no place in the order.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// The value stored per (g, i, j) in the u8 roles matrix.
enum class MineRole : uint8_t { None = 0, Positive = 1, Negative = 2 };

// roles (G,B,B) u8, d (G,B,B).
void mine_pos_neg_cpu(uint8_t* roles, const float* d, int64_t G, int64_t B);

// One block per anchor row sorts the row's (d_ij, j) keys in shared memory, so B is bounded by
// the device's shared memory per block: 8 bytes a key, rounded up to a power of two (B - 1 <=
// 16384 on an H100 or A100). Larger B throws learner::Error.
void mine_pos_neg_cuda(uint8_t* roles, const float* d, int64_t G, int64_t B, cudaStream_t stream);

}  // namespace learner
