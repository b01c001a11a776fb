// Matrix products: BLAS (OpenBLAS sgemm) on the CPU, cuBLAS on CUDA.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x is (N, in), weight is (out, in) (PyTorch layout), bias is (out) or undefined -> (N, out).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// a is (M, K), b is (K, N) -> (M, N).
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace learner
