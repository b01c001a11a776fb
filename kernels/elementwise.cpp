// CPU reference for the elementwise kernels: plain loops (the compiler vectorises them),
// split over OpenMP threads when long. Every output depends on its own inputs only, so the
// bits do not depend on the thread count.
#include "kernels/elementwise.h"

#include "kernels/parallel.h"

namespace learner {

namespace {
// Below this many values one thread is faster than waking the team (these loops are
// memory-bound: ~1 ns per value).
constexpr int64_t kElementwiseParallelMin = 4 * kParallelMinWork;
}  // namespace

void add_forward_cpu(float* out, const float* a, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void mul_forward_cpu(float* out, const float* a, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

void axpby_cpu(float* out, float alpha, const float* a, float beta, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = alpha * a[i] + beta * b[i];
}

void scale_cpu(float* out, float alpha, const float* x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = alpha * x[i];
}

void accumulate_cpu(float* dst, const float* src, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

void relu_forward_cpu(float* out, const float* x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0.f ? x[i] : 0.f;
}

void relu_backward_cpu(float* dx, const float* dy, const float* y, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

void add_relu_forward_cpu(float* out, const float* a, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kElementwiseParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float sum = a[i] + b[i];
    out[i] = sum > 0.f ? sum : 0.f;
  }
}

}  // namespace learner
