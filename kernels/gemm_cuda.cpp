// CUDA GEMM through cuBLAS. cuBLAS is column-major; a row-major C (M, N) is the column-major
// C^T (N, M) = op(B)^T op(A)^T, so we pass B before A and swap M and N.
#include <climits>

#include "base/cuda/check.h"
#include "base/cuda/context.h"
#include "kernels/gemm.h"

namespace learner {

void gemm_cuda(float* c, const float* a, const float* b, int64_t m, int64_t n, int64_t k,
               Transpose trans_a, Transpose trans_b, float alpha, float beta, cudaStream_t stream) {
  LEARNER_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "gemm: sizes ", m, " x ", n, " x ",
                k, " exceed the 32-bit cuBLAS interface");
  if (m == 0 || n == 0) return;
  cuda::Context& ctx = cuda::context_of(stream);
  cublasHandle_t handle = cuda::cublas_handle(ctx);  // atomics mode follows deterministic()
  if (k == 0) {  // an empty product: C = beta * C
    if (beta == 0.f) {
      CUDA_CHECK(cudaMemsetAsync(c, 0, static_cast<size_t>(m * n) * sizeof(float), ctx.stream));
    } else {
      const float zero = 0.f;  // geam's second operand is C itself, weighted 0
      CUBLAS_CHECK(cublasSgeam(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n),
                               static_cast<int>(m), &beta, c, static_cast<int>(n), &zero, c,
                               static_cast<int>(n), c, static_cast<int>(n)));
    }
    return;
  }
  const bool ta = trans_a == Transpose::Yes, tb = trans_b == Transpose::Yes;
  const int lda = static_cast<int>(ta ? m : k);
  const int ldb = static_cast<int>(tb ? k : n);
  CUBLAS_CHECK(cublasSgemm(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                           static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b,
                           ldb, a, lda, &beta, c, static_cast<int>(n)));
}

void gemm_strided_batched_cuda(float* c, const float* a, const float* b, int64_t batch, int64_t m,
                               int64_t n, int64_t k, Transpose trans_a, Transpose trans_b,
                               float alpha, float beta, BatchStrides strides, cudaStream_t stream) {
  LEARNER_CHECK(batch <= INT_MAX && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX,
                "gemm_strided_batched: sizes ", batch, " x ", m, " x ", n, " x ", k,
                " exceed the 32-bit cuBLAS interface");
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {  // an empty product per matrix: the single-matrix path handles beta
    for (int64_t i = 0; i < batch; ++i)
      gemm_cuda(c + i * strides.c, a, b, m, n, 0, trans_a, trans_b, alpha, beta, stream);
    return;
  }
  const cuda::Context& ctx = cuda::context_of(stream);
  const bool ta = trans_a == Transpose::Yes, tb = trans_b == Transpose::Yes;
  const int lda = static_cast<int>(ta ? m : k);
  const int ldb = static_cast<int>(tb ? k : n);
  // Row-major to column-major as in gemm_cuda: B before A, M and N swapped.
  CUBLAS_CHECK(cublasSgemmStridedBatched(
      ctx.cublas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b, ldb, strides.b, a,
      lda, strides.a, &beta, c, static_cast<int>(n), strides.c, static_cast<int>(batch)));
}

}  // namespace learner
