// Internal helper for ops that take integer indices (index_select, cross_entropy): finds the
// first index outside [0, limit) so the op can name it in its error message.
#pragma once

#include "framework/tensor.h"

namespace learner {

struct BadIndex {
  int64_t position = -1;  // -1: every index is in range
  int64_t value = 0;
};

// `index` is a 1-D i64 or i32 tensor. On CUDA this reads two integers back to the host, a
// wait for the device's stream: the price of an error that names the index.
BadIndex find_bad_index(const Tensor& index, int64_t limit);

}  // namespace learner
