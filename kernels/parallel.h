// When the CPU reference kernels use OpenMP: only over loops with disjoint outputs, and only
// above this much work, since waking the thread team costs more than a small loop (and on a
// loaded machine a single late thread can stall a tiny loop for milliseconds).
#pragma once

#include <cstdint>

namespace learner {

constexpr int64_t kParallelMinWork = int64_t{1} << 15;  // inner-loop iterations

}  // namespace learner
