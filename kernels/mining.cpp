// CPU reference for the mining: sort each anchor row's others by (d_ij, j), then label.
#include "kernels/mining.h"

#include <algorithm>
#include <vector>

#include "kernels/parallel.h"

namespace learner {

void mine_pos_neg_cpu(uint8_t* roles, const float* d, int64_t G, int64_t B) {
  const int64_t k = B / 2;
#pragma omp parallel for collapse(2) if (G * B * B > kParallelMinWork)
  for (int64_t g = 0; g < G; ++g) {
    for (int64_t i = 0; i < B; ++i) {
      const float* row = d + (g * B + i) * B;
      uint8_t* out = roles + (g * B + i) * B;
      std::vector<int64_t> order;
      order.reserve(B - 1);
      for (int64_t j = 0; j < B; ++j)
        if (j != i) order.push_back(j);
      std::sort(order.begin(), order.end(), [row](int64_t a, int64_t b) {
        return row[a] < row[b] || (row[a] == row[b] && a < b);
      });
      for (int64_t j = 0; j < B; ++j) out[j] = static_cast<uint8_t>(MineRole::None);
      for (int64_t p = 0; p < B - 1; ++p) {
        MineRole role = MineRole::None;
        if (p < k - 1)
          role = MineRole::Positive;
        else if (p >= B - 1 - k)
          role = MineRole::Negative;
        out[order[p]] = static_cast<uint8_t>(role);
      }
    }
  }
}

}  // namespace learner
