// s_ij of SPEC.md section 6 in float64, the reference the pairwise and contrastive tests
// both check against. u is (B, E) row-major.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/pairwise.h"

namespace learner::test {

inline double spec_similarity(const std::vector<float>& u, int64_t E, int64_t i, int64_t j,
                              Similarity kind) {
  double dot = 0, ni = 0, nj = 0, sq = 0;
  for (int64_t e = 0; e < E; ++e) {
    const double a = u[i * E + e], b = u[j * E + e];
    dot += a * b;
    ni += a * a;
    nj += b * b;
    sq += (a - b) * (a - b);
  }
  if (kind == Similarity::L2) return 1 / (1 + std::sqrt(sq + 1e-12));
  const double c = dot / (std::max(std::sqrt(ni), 1e-8) * std::max(std::sqrt(nj), 1e-8));
  return std::min(std::max((1 + c) / 2, 1e-4), 1.0);
}

}  // namespace learner::test
