// Scaled dot-product attention as one op (forward and backward), on the CPU or CUDA:
//   S_g = scale q_g k_g^T + bias_(g mod P),  A_g = softmax_rows(S_g),  out_g = A_g v_g
// for g in 0..G-1 (G = batch x heads, or windows x heads). The bias (P, Nq, Nk) repeats
// over the leading G / P groups (a relative position bias with P = heads, plus a window
// mask folded in). Products are batched GEMMs (OpenBLAS / cuBLAS), the softmax is ours.
// Backward, with dA = dout v^T and dS = A o (dA - rowsum(dA o A)):
//   dv = A^T dout,  dq = scale dS k,  dk = scale dS^T q,  dbias = sum of dS over the repeats.
#pragma once

#include "framework/tensor.h"

namespace learner {

// q (G, Nq, hd), k and v (G, Nk, hd), bias undefined or (P, Nq, Nk) with G % P == 0
// -> (G, Nq, hd). Differentiable in q, k, v and bias.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, float scale,
                 const Tensor& bias = Tensor());

// Multi-head self-attention on the packed rows of timm's qkv Linear: qkv (B, N, 3 D) holds
// [q | k | v] per token, head h's hd = D / heads values contiguous in each (timm's
// reshape(B, N, 3, H, hd)), and scale = 1 / sqrt(hd). Returns the heads merged back to
// (B, N, D), head h at columns h hd .. (h + 1) hd, ready for proj. The bias is as for
// attention() with G = B heads, group b heads + h. Equal to splitting q, k, v with permute
// and slice, calling attention() and merging, but one op: its backward writes dqkv once
// instead of adding three zero-padded slice gradients.
Tensor self_attention(const Tensor& qkv, int64_t heads, const Tensor& bias = Tensor());

}  // namespace learner
