// Batched pairwise kernels over G groups of B samples (SPEC.md section 6): score distances
// and embedding similarities with their backward. All overwrite their outputs.
//
// Distances:  d_ij = |y_i - y_j|                                     y (G,B) -> d (G,B,B)
// Similarity, u (G,B,E) -> s (G,B,B), one of
//   Cos: n_i = max(|u_i|, 1e-8), c_ij = u_i.u_j / (n_i n_j), s_ij = clamp((1 + c_ij)/2, 1e-4, 1)
//   L2:  r_ij = sqrt(|u_i - u_j|^2 + 1e-12),                 s_ij = 1 / (1 + r_ij)
// |u_i - u_j|^2 is summed from the differences, never as |u_i|^2 + |u_j|^2 - 2 u_i.u_j, which
// would lose every digit for close embeddings.
//
// Backward, du (G,B,E) from ds (G,B,B); with G_ij the gradient reaching the pair value from
// both s_ij and s_ji:
//   Cos: dc_ij = ds_ij / 2 where 1e-4 <= (1+c_ij)/2 <= 1, else 0 (the clamp binds);
//        G_ij = dc_ij + dc_ji;
//        du_i = sum_j G_ij u_j / (n_i n_j) - [|u_i| > 1e-8] (u_i / n_i^2) sum_j G_ij c_ij
//   L2:  dr_ij = -ds_ij s_ij^2; G_ij = dr_ij + dr_ji;  du_i = sum_j G_ij (u_i - u_j) / r_ij
// The diagonal is left out where its true derivative is zero: always for L2 (u_i - u_i is
// identically 0), and for Cos when |u_i| > 1e-8 (c_ii is identically 1). Keeping it would
// add a rounding-noise term, and for L2 one divided by r_ii = 1e-6.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

enum class Similarity { Cos, L2 };

constexpr float kCosNormFloor = 1e-8f;  // n_i = max(|u_i|, kCosNormFloor)
constexpr float kCosClampLow = 1e-4f;   // s = clamp((1 + c)/2, kCosClampLow, 1)
constexpr float kL2Epsilon = 1e-12f;    // r = sqrt(|u_i - u_j|^2 + kL2Epsilon)

// d (G,B,B), y (G,B).
void pairwise_abs_diff_cpu(float* d, const float* y, int64_t G, int64_t B);
void pairwise_abs_diff_cuda(float* d, const float* y, int64_t G, int64_t B, cudaStream_t stream);

// s, aux (G,B,B); norm (G,B); u (G,B,E). aux holds what the backward needs: c_ij for Cos,
// r_ij for L2. norm holds n_i for Cos and is not written for L2.
void pairwise_similarity_forward_cpu(float* s, float* aux, float* norm, const float* u, int64_t G,
                                     int64_t B, int64_t E, Similarity kind);
// du (G,B,E); ds, s, aux (G,B,B); norm (G,B); u (G,B,E).
void pairwise_similarity_backward_cpu(float* du, const float* ds, const float* s, const float* aux,
                                      const float* norm, const float* u, int64_t G, int64_t B,
                                      int64_t E, Similarity kind);

// Same contract. The backward needs a workspace of
// pairwise_similarity_backward_workspace_floats(G, B) floats (about G*B*B).
void pairwise_similarity_forward_cuda(float* s, float* aux, float* norm, const float* u, int64_t G,
                                      int64_t B, int64_t E, Similarity kind, cudaStream_t stream);
int64_t pairwise_similarity_backward_workspace_floats(int64_t G, int64_t B);
void pairwise_similarity_backward_cuda(float* du, float* workspace, const float* ds, const float* s,
                                       const float* aux, const float* norm, const float* u,
                                       int64_t G, int64_t B, int64_t E, Similarity kind,
                                       cudaStream_t stream);

}  // namespace learner
