// Launch geometry shared by the simple 1-D kernels: a grid-stride loop over n elements.
#pragma once

#include <algorithm>
#include <cstdint>

namespace learner {

constexpr int kThreadsPerBlock = 256;

inline int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  // Grid-stride loops cover the rest; 65535 blocks keep every SM busy.
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65535)));
}

}  // namespace learner
