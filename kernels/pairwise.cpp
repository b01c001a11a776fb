// CPU reference for the pairwise distances and similarities: plain loops over (g, i, j), the
// formulas of pairwise.h written out. Rows run in parallel; each output has one fixed order.
#include "kernels/pairwise.h"

#include <algorithm>
#include <cmath>

#include "kernels/parallel.h"

namespace learner {

void pairwise_abs_diff_cpu(float* d, const float* y, int64_t G, int64_t B) {
  for (int64_t g = 0; g < G; ++g)
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < B; ++j)
        d[(g * B + i) * B + j] = std::fabs(y[g * B + i] - y[g * B + j]);
}

void pairwise_similarity_forward_cpu(float* s, float* aux, float* norm, const float* u, int64_t G,
                                     int64_t B, int64_t E, Similarity kind) {
  for (int64_t g = 0; g < G; ++g) {
    const float* ug = u + g * B * E;
    if (kind == Similarity::Cos) {
      for (int64_t i = 0; i < B; ++i) {
        float sq = 0.f;
        for (int64_t e = 0; e < E; ++e) sq += ug[i * E + e] * ug[i * E + e];
        norm[g * B + i] = std::max(std::sqrt(sq), kCosNormFloor);
      }
    }
#pragma omp parallel for if (B * B * E > kParallelMinWork)
    for (int64_t i = 0; i < B; ++i) {
      for (int64_t j = 0; j < B; ++j) {
        const float* ui = ug + i * E;
        const float* uj = ug + j * E;
        const int64_t ij = (g * B + i) * B + j;
        if (kind == Similarity::Cos) {
          float dot = 0.f;
          for (int64_t e = 0; e < E; ++e) dot += ui[e] * uj[e];
          const float c = dot / (norm[g * B + i] * norm[g * B + j]);
          aux[ij] = c;
          s[ij] = std::min(std::max(0.5f * (1.f + c), kCosClampLow), 1.f);
        } else {
          float sq = 0.f;
          for (int64_t e = 0; e < E; ++e) {
            const float diff = ui[e] - uj[e];
            sq += diff * diff;
          }
          const float r = std::sqrt(sq + kL2Epsilon);
          aux[ij] = r;
          s[ij] = 1.f / (1.f + r);
        }
      }
    }
  }
}

namespace {

// dL/dc_ij through the clamp: the clamp passes the gradient on [low, 1], inclusive.
float cos_pair_grad(float ds, float c) {
  const float v = 0.5f * (1.f + c);
  return (v >= kCosClampLow && v <= 1.f) ? 0.5f * ds : 0.f;
}

// dL/dr_ij: s = 1/(1+r) so ds/dr = -s^2.
float l2_pair_grad(float ds, float s) { return -ds * s * s; }

}  // namespace

void pairwise_similarity_backward_cpu(float* du, const float* ds, const float* s, const float* aux,
                                      const float* norm, const float* u, int64_t G, int64_t B,
                                      int64_t E, Similarity kind) {
  for (int64_t g = 0; g < G; ++g) {
    const float* ug = u + g * B * E;
    const float* dsg = ds + g * B * B;
    const float* sg = s + g * B * B;
    const float* auxg = aux + g * B * B;
#pragma omp parallel for if (B * B * E > kParallelMinWork)
    for (int64_t i = 0; i < B; ++i) {
      float* dui = du + (g * B + i) * E;
      const float* ui = ug + i * E;
      for (int64_t e = 0; e < E; ++e) dui[e] = 0.f;
      if (kind == Similarity::Cos) {
        const float ni = norm[g * B + i];
        const bool above_floor = ni > kCosNormFloor;
        float alpha = 0.f;  // sum_j G_ij c_ij
        for (int64_t j = 0; j < B; ++j) {
          if (j == i && above_floor) continue;
          const float both = cos_pair_grad(dsg[i * B + j], auxg[i * B + j]) +
                             cos_pair_grad(dsg[j * B + i], auxg[j * B + i]);
          const float coef = both / (ni * norm[g * B + j]);
          for (int64_t e = 0; e < E; ++e) dui[e] += coef * ug[j * E + e];
          alpha += both * auxg[i * B + j];
        }
        if (above_floor) {
          const float scale = alpha / (ni * ni);
          for (int64_t e = 0; e < E; ++e) dui[e] -= scale * ui[e];
        }
      } else {
        for (int64_t j = 0; j < B; ++j) {
          if (j == i) continue;
          const float both = l2_pair_grad(dsg[i * B + j], sg[i * B + j]) +
                             l2_pair_grad(dsg[j * B + i], sg[j * B + i]);
          const float h = both / auxg[i * B + j];
          for (int64_t e = 0; e < E; ++e) dui[e] += h * (ui[e] - ug[j * E + e]);
        }
      }
    }
  }
}

int64_t pairwise_similarity_backward_workspace_floats(int64_t G, int64_t B) {
  // The CUDA backward keeps the coefficient matrix (G,B,B), per-32-column partial row sums
  // (G,B,ceil(B/32)) and the per-row diagonal coefficient (G,B).
  return G * B * B + G * B * ((B + 31) / 32) + G * B;
}

}  // namespace learner
