// CPU GEMM through OpenBLAS. OpenBLAS splits sgemm over M and N only, so for a fixed thread
// count every output is summed in a fixed order and results repeat to the bit.
#include "kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <climits>

#include "base/error.h"

namespace learner {

void gemm_cpu(float* c, const float* a, const float* b, int64_t m, int64_t n, int64_t k,
              Transpose trans_a, Transpose trans_b, float alpha, float beta) {
  LEARNER_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "gemm: sizes ", m, " x ", n, " x ",
                k, " exceed the 32-bit BLAS interface");
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty product: C = beta * C (BLAS may reject the zero leading dimensions)
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.f ? 0.f : beta * c[i];
    return;
  }
  const bool ta = trans_a == Transpose::Yes, tb = trans_b == Transpose::Yes;
  const int lda = static_cast<int>(ta ? m : k);
  const int ldb = static_cast<int>(tb ? k : n);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, lda, b, ldb,
              beta, c, static_cast<int>(n));
}

void gemm_strided_batched_cpu(float* c, const float* a, const float* b, int64_t batch, int64_t m,
                              int64_t n, int64_t k, Transpose trans_a, Transpose trans_b,
                              float alpha, float beta, BatchStrides strides) {
  for (int64_t i = 0; i < batch; ++i)
    gemm_cpu(c + i * strides.c, a + i * strides.a, b + i * strides.b, m, n, k, trans_a, trans_b,
             alpha, beta);
}

}  // namespace learner
