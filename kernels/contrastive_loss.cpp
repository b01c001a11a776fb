// CPU reference for the contrastive loss: per anchor row a sequential sum over j, then a
// sequential sum over the anchors.
#include "kernels/contrastive_loss.h"

#include <cmath>

#include "kernels/contrastive_loss_grad.h"
#include "kernels/mining.h"
#include "kernels/parallel.h"

namespace learner {

void contrastive_loss_forward_cpu(float* loss, float* terms, const float* s, const float* d,
                                  const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                  float eps_w) {
#pragma omp parallel for collapse(2) if (G * B * B > kParallelMinWork)
  for (int64_t g = 0; g < G; ++g) {
    for (int64_t i = 0; i < B; ++i) {
      float t = 0.f;
      for (int64_t j = 0; j < B; ++j) {
        const int64_t ij = (g * B + i) * B + j;
        const MineRole role = static_cast<MineRole>(roles[ij]);
        if (role == MineRole::Negative) {
          t += kind == ContrastiveKind::CL ? std::log(s[ij]) : std::log(s[ij] * (d[ij] + eps_w));
        } else if (role == MineRole::Positive) {
          t -= kind == ContrastiveKind::CL ? std::log(s[ij]) : std::log(s[ij]) / (d[ij] + eps_w);
        }
      }
      terms[g * B + i] = t;
    }
  }
  for (int64_t g = 0; g < G; ++g) {
    float sum = 0.f;
    for (int64_t i = 0; i < B; ++i) sum += terms[g * B + i];
    loss[g] = sum / static_cast<float>(B);
  }
}

void contrastive_loss_backward_cpu(float* ds, const float* dloss, const float* s, const float* d,
                                   const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                   float eps_w) {
  for (int64_t g = 0; g < G; ++g) {
    const float scale = dloss[g] / static_cast<float>(B);
    for (int64_t ij = g * B * B; ij < (g + 1) * B * B; ++ij) {
      ds[ij] = contrastive_loss_pair_grad(static_cast<MineRole>(roles[ij]), scale, s[ij], d[ij],
                                          kind, eps_w);
    }
  }
}

}  // namespace learner
