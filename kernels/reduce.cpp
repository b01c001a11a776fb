// CPU reference for the axis sums: double accumulators, r ascending for every output.
#include "kernels/reduce.h"

#include <vector>

namespace learner {

void sum_axis_cpu(float* out, const float* x, int64_t outer, int64_t reduce, int64_t inner,
                  float scale) {
  // Each o owns its outputs, so the outer loop may run in parallel without changing any sum.
#pragma omp parallel for if (outer > 1 && outer * reduce * inner > (1 << 16))
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = x + o * reduce * inner;
    if (inner == 1) {  // a contiguous run: one accumulator
      double acc = 0.0;
      for (int64_t r = 0; r < reduce; ++r) acc += row[r];
      out[o] = static_cast<float>(acc * static_cast<double>(scale));
      continue;
    }
    // One accumulator per output of this row, so x is read in memory order.
    std::vector<double> acc(inner, 0.0);
    for (int64_t r = 0; r < reduce; ++r)
      for (int64_t i = 0; i < inner; ++i) acc[i] += row[r * inner + i];
    for (int64_t i = 0; i < inner; ++i)
      out[o * inner + i] = static_cast<float>(acc[i] * static_cast<double>(scale));
  }
}

void broadcast_axis_cpu(float* dx, const float* dy, int64_t outer, int64_t reduce, int64_t inner,
                        float scale) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r = 0; r < reduce; ++r)
      for (int64_t i = 0; i < inner; ++i)
        dx[(o * reduce + r) * inner + i] = scale * dy[o * inner + i];
}

}  // namespace learner
