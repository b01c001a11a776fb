// Batched matrix products: OpenBLAS sgemm per matrix on the CPU, one cuBLAS strided batched
// GEMM on CUDA (kernels/gemm.h).
#pragma once

#include "framework/tensor.h"
#include "kernels/gemm.h"

namespace learner {

// a (G, M, K), b (G, K, N) -> (G, M, N): c_g = a_g b_g. Differentiable:
//   da_g = dc_g b_g^T, db_g = a_g^T dc_g.
Tensor batched_matmul(const Tensor& a, const Tensor& b);

// The raw product on dense (G, ., .) buffers of one device, not recorded by autograd:
// c_g = alpha op(a_g) op(b_g) + beta c_g, c (G, M, N). Ops built on products (attention)
// call it in their forward and backward.
void batched_gemm(const Tensor& c, const Tensor& a, const Tensor& b, int64_t G, int64_t M,
                  int64_t N, int64_t K, Transpose trans_a, Transpose trans_b, float alpha,
                  float beta);

}  // namespace learner
