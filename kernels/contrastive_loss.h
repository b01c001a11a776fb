// The contrastive term of the pre-training loss (SPEC.md section 6) over G groups of B
// samples, from precomputed similarities s, distances d and mining roles. The forward
// overwrites loss and terms, the backward overwrites ds; nothing accumulates.
//
// Per anchor i (terms), with P_i, N_i the positives and negatives of the mining:
//   CL:  t_i = sum_{j in N_i} log s_ij - sum_{j in P_i} log s_ij
//   WCL: t_i = sum_{j in N_i} log(s_ij (d_ij + eps_w)) - sum_{j in P_i} log(s_ij) / (d_ij + eps_w)
//   loss = (1/B) sum_i t_i, per group.
// Backward to s (d and the roles are constants; y gets no gradient):
//   ds_ij = dloss / (B s_ij)                  for j in N_i
//   ds_ij = -dloss / (B s_ij)                 for j in P_i (CL)
//   ds_ij = -dloss / (B s_ij (d_ij + eps_w))  for j in P_i (WCL)
//   ds_ij = 0                                 otherwise
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

enum class ContrastiveKind { CL, WCL };

constexpr float kDefaultContrastiveEps = 0.05f;  // eps_w of WCL

// loss (G), terms (G,B); s, d (G,B,B) f32; roles (G,B,B) u8 MineRole values.
void contrastive_loss_forward_cpu(float* loss, float* terms, const float* s, const float* d,
                                  const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                  float eps_w);
// ds (G,B,B); dloss (G).
void contrastive_loss_backward_cpu(float* ds, const float* dloss, const float* s, const float* d,
                                   const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                   float eps_w);

// Same contracts; dloss stays on the device (read by the kernel, never copied to the host).
void contrastive_loss_forward_cuda(float* loss, float* terms, const float* s, const float* d,
                                   const uint8_t* roles, int64_t G, int64_t B, ContrastiveKind kind,
                                   float eps_w, cudaStream_t stream);
void contrastive_loss_backward_cuda(float* ds, const float* dloss, const float* s, const float* d,
                                    const uint8_t* roles, int64_t G, int64_t B,
                                    ContrastiveKind kind, float eps_w, cudaStream_t stream);

}  // namespace learner
