// The global batch of the contrastive loss (SPEC.md section 6): every rank sees all ranks'
// embeddings and scores, so that mining and the loss run over B = world_size * B_local.
//
// Gradient scaling. Let rank r compute a loss L_r from the gathered U = [u_0; ...; u_{N-1}]
// (for the contrastive term every rank computes the same L_r = CL(U, Y)), and let the
// gradient sync AVERAGE parameter gradients over ranks. Rank r's graph reaches the
// parameters only through its own rows u_r, so what it must receive for u_r is
//     g_r = sum_q dL_q / du_r   (the all-reduced sum of every rank's gradient for U, rows of r),
// and the averaged parameter gradient is then
//     (1/N) sum_r g_r du_r/dtheta = (1/N) sum_r sum_q dL_q/du_r du_r/dtheta = d/dtheta [(1/N) sum_q L_q].
// So the job trains J = (1/N) sum_q L_q. With L_q = CL(U, Y) on every rank, J = CL(U, Y): the
// function one rank trains with the whole batch. Returning only the own rows of dL_r/dU
// (no all-reduce) would give CL / N instead. Local means (the MSE over B_local) average to
// the mean over B, so L_r = MSE_r + lambda * CL(U, Y) trains MSE_B + lambda * CL_B exactly.
// (parallel/sync_batchnorm.h follows the same convention.)
#pragma once

#include "parallel/communicator.h"

namespace learner::dist {

// u (B_local, ...) f32 on comm.device() -> (world_size * B_local, ...), rank r's rows at
// r * B_local (rank order). Differentiable: the backward all-reduces the incoming gradient
// (sum over ranks) and returns this rank's rows. `comm` must outlive the graph.
Tensor all_gather_rows(const Tensor& u, Communicator& comm);

// y (B_local, ...) f32 or i64 -> (world_size * B_local, ...), rank order. Not differentiable
// (targets: scores y of the contrastive mining).
Tensor all_gather_values(const Tensor& y, Communicator& comm);

}  // namespace learner::dist
