// The gradient of the contrastive term with respect to one similarity s_ij (the backward
// formula of kernels/contrastive_loss.h), shared by the CPU reference and the CUDA kernel
// so that the two compute it with the same operations.
#pragma once

#include "base/host_device.h"
#include "kernels/contrastive_loss.h"
#include "kernels/mining.h"

namespace learner {

// scale = dloss[g] / B for the pair's group.
LEARNER_HD float contrastive_loss_pair_grad(MineRole role, float scale, float s, float d,
                                            ContrastiveKind kind, float eps_w) {
  if (role == MineRole::Negative) return scale / s;
  if (role == MineRole::Positive)
    return kind == ContrastiveKind::CL ? -scale / s : -scale / (s * (d + eps_w));
  return 0.f;
}

}  // namespace learner
