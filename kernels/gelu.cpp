// CPU reference for the exact GELU.
#include "kernels/gelu.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/error.h"

#include "kernels/parallel.h"

namespace learner {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
}  // namespace

void gelu_forward_cpu(float* y, const float* x, int64_t n) {
#pragma omp parallel for if (n > kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.f + std::erf(x[i] * kInvSqrt2));
}

void gelu_backward_cpu(float* dx, const float* dy, const float* x, int64_t n) {
#pragma omp parallel for if (n > kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) {
    const float cdf = 0.5f * (1.f + std::erf(x[i] * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

bool gelu_cpu_fast() {
  static const bool fast = [] {
    const char* text = std::getenv("LEARNER_CPU_GELU");
    if (text == nullptr || *text == '\0' || std::strcmp(text, "fast") == 0) return true;
    if (std::strcmp(text, "reference") == 0) return false;
    throw Error(str("LEARNER_CPU_GELU='", text, "' is not a CPU GELU: use fast or reference"));
  }();
  return fast;
}

}  // namespace learner
