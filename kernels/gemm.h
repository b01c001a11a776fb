// Row-major single-precision GEMM shared by linear, matmul and any op built on products:
//   C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C
// op(A) is A, stored (M, K), or A^T with A stored (K, M); likewise B, stored (K, N) or (N, K).
// All matrices are dense (leading dimension = row length). beta = 0 overwrites C (its old
// contents are never read); beta = 1 accumulates, which is how weight gradients add up.
// CPU: OpenBLAS cblas_sgemm. CUDA: cublasSgemm on the handle bound to the given stream,
// in FP32 (no TF32) math.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

enum class Transpose { No, Yes };

// c is (M, N); a is (M, K) or (K, M); b is (K, N) or (N, K).
void gemm_cpu(float* c, const float* a, const float* b, int64_t m, int64_t n, int64_t k,
              Transpose trans_a, Transpose trans_b, float alpha, float beta);

// The same on device buffers, issued to `stream` (the cuBLAS handle bound to it is found by
// cuda::context_of).
void gemm_cuda(float* c, const float* a, const float* b, int64_t m, int64_t n, int64_t k,
               Transpose trans_a, Transpose trans_b, float alpha, float beta, cudaStream_t stream);

// `batch` independent products C_i = alpha op(A_i) op(B_i) + beta C_i, matrix i starting
// stride_* floats after matrix i-1 (a stride of 0 reuses one matrix for every i). The CPU
// loops over i with cblas_sgemm; CUDA is one cublasSgemmStridedBatched.
struct BatchStrides {
  int64_t a, b, c;
};
void gemm_strided_batched_cpu(float* c, const float* a, const float* b, int64_t batch, int64_t m,
                              int64_t n, int64_t k, Transpose trans_a, Transpose trans_b,
                              float alpha, float beta, BatchStrides strides);
void gemm_strided_batched_cuda(float* c, const float* a, const float* b, int64_t batch, int64_t m,
                               int64_t n, int64_t k, Transpose trans_a, Transpose trans_b,
                               float alpha, float beta, BatchStrides strides, cudaStream_t stream);

}  // namespace learner
