// The fast CPU GELU: the reference's formulas (kernels/gelu.cpp) with fast::erf and
// fast::exp_nonpositive (kernels/fast_math.h), in loops the compiler vectorises. With GCC each
// loop is built for AVX-512, AVX2 and the baseline, chosen at load time (target_clones); the
// threads take contiguous chunks. A NaN input gives NaN, as in the reference.
#include <omp.h>

#include "kernels/fast_math.h"
#include "kernels/gelu.h"
#include "kernels/parallel.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LEARNER_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LEARNER_VECTOR_CLONES
#endif

namespace learner {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

LEARNER_VECTOR_CLONES void forward_range(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.f + fast::erf(x[i] * kInvSqrt2));
}

LEARNER_VECTOR_CLONES void backward_range(float* dx, const float* dy, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float cdf = 0.5f * (1.f + fast::erf(x[i] * kInvSqrt2));
    const float pdf = kInvSqrt2Pi * fast::exp_nonpositive(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

// fn(begin, count) over [0, n) in one contiguous chunk per thread.
template <typename Fn>
void in_chunks(int64_t n, Fn fn) {
#pragma omp parallel if (n > kParallelMinWork)
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
    if (end > begin) fn(begin, end - begin);
  }
}

}  // namespace

void gelu_forward_fast_cpu(float* y, const float* x, int64_t n) {
  in_chunks(n, [&](int64_t b, int64_t c) { forward_range(y + b, x + b, c); });
}

void gelu_backward_fast_cpu(float* dx, const float* dy, const float* x, int64_t n) {
  in_chunks(n, [&](int64_t b, int64_t c) { backward_range(dx + b, dy + b, x + b, c); });
}

}  // namespace learner
