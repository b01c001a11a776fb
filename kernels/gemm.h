// Row-major single-precision GEMM shared by linear, matmul and any op built on products:
//   C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C
// op(A) is A, stored (M, K), or A^T with A stored (K, M); likewise B, stored (K, N) or (N, K).
// All matrices are dense (leading dimension = row length). beta = 0 overwrites C (its old
// contents are never read); beta = 1 accumulates, which is how weight gradients add up.
// CPU: OpenBLAS cblas_sgemm. CUDA: cublasSgemm on the device's handle, which is bound to
// stream_for(device), in FP32 (no TF32) math.
#pragma once

#include <cstdint>

namespace learner {

enum class Transpose { No, Yes };

void gemm_cpu(Transpose trans_a, Transpose trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, const float* b, float beta, float* c);

// a, b, c are device pointers on CUDA device `device`.
void gemm_cuda(Transpose trans_a, Transpose trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, const float* b, float beta, float* c, int device);

}  // namespace learner
