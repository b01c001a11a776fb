// CPU reference for LayerNorm: plain loops over rows, double accumulators.
#include "kernels/layer_norm.h"

#include <cmath>
#include <vector>

#include "kernels/parallel.h"

namespace learner {

void layer_norm_forward_cpu(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                            const float* beta, int64_t N, int64_t D, float eps) {
#pragma omp parallel for if (N * D > kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * D;
    double sum = 0.0;
    for (int64_t j = 0; j < D; ++j) sum += xr[j];
    const double mu = sum / static_cast<double>(D);
    double sq = 0.0;
    for (int64_t j = 0; j < D; ++j) sq += (xr[j] - mu) * (xr[j] - mu);
    const double r = 1.0 / std::sqrt(sq / static_cast<double>(D) + static_cast<double>(eps));
    mean[n] = static_cast<float>(mu);
    rstd[n] = static_cast<float>(r);
    float* yr = y + n * D;
    for (int64_t j = 0; j < D; ++j)
      yr[j] = static_cast<float>((xr[j] - mu) * r) * gamma[j] + beta[j];
  }
}

void layer_norm_backward_cpu(float* dx, float* dgamma, float* dbeta, const float* dy,
                             const float* x, const float* mean, const float* rstd,
                             const float* gamma, int64_t N, int64_t D) {
#pragma omp parallel for if (N * D > kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * D;
    const float* gr = dy + n * D;
    const double mu = mean[n], r = rstd[n];
    double sum_g = 0.0, sum_gx = 0.0;
    for (int64_t j = 0; j < D; ++j) {
      const double g = static_cast<double>(gr[j]) * gamma[j];
      sum_g += g;
      sum_gx += g * (xr[j] - mu) * r;
    }
    const double mean_g = sum_g / static_cast<double>(D), mean_gx = sum_gx / static_cast<double>(D);
    float* dxr = dx + n * D;
    for (int64_t j = 0; j < D; ++j) {
      const double g = static_cast<double>(gr[j]) * gamma[j];
      dxr[j] = static_cast<float>(r * (g - mean_g - (xr[j] - mu) * r * mean_gx));
    }
  }
  if (dgamma == nullptr && dbeta == nullptr) return;
  std::vector<double> acc_gamma(D, 0.0), acc_beta(D, 0.0);
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = x + n * D;
    const float* gr = dy + n * D;
    const double mu = mean[n], r = rstd[n];
    for (int64_t j = 0; j < D; ++j) {
      acc_gamma[j] += static_cast<double>(gr[j]) * (xr[j] - mu) * r;
      acc_beta[j] += gr[j];
    }
  }
  for (int64_t j = 0; j < D; ++j) {
    if (dgamma != nullptr) dgamma[j] = static_cast<float>(acc_gamma[j]);
    if (dbeta != nullptr) dbeta[j] = static_cast<float>(acc_beta[j]);
  }
}

}  // namespace learner
