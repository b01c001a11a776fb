// Range checks of integer index tensors (index_select rows, cross_entropy targets): find the
// first position p whose index[p] lies outside [0, limit). Indices are i64 or i32.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

// The first bad position, or -1 when every index is in range.
int64_t first_bad_index_cpu(const int64_t* index, int64_t n, int64_t limit);
int64_t first_bad_index_cpu(const int32_t* index, int64_t n, int64_t limit);

// result (2 i64, device): {first bad position, its value}, or {-1, 0} when all are in range.
// One block scans the indices and takes the minimum bad position along a fixed tree.
void first_bad_index_cuda(int64_t* result, const int64_t* index, int64_t n, int64_t limit,
                          cudaStream_t stream);
void first_bad_index_cuda(int64_t* result, const int32_t* index, int64_t n, int64_t limit,
                          cudaStream_t stream);

}  // namespace learner
