// BatchNorm2d with PyTorch semantics (SPEC.md section 4): training normalises with the
// biased batch variance over (N, H, W) and updates running statistics with the unbiased
// variance: running = (1 - momentum) * running + momentum * batch; eval uses running stats.
#pragma once

#include "framework/tensor.h"

namespace learner {

// x is (N, C, H, W); weight, bias, running_mean, running_var are (C).
// In training running_mean/running_var are updated in place (not recorded by autograd).
// The argument checks every BatchNorm variant shares (shapes, dtypes, devices, eps and
// momentum); each failure is a learner::Error naming `op` and the argument.
void check_batch_norm_arguments(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const Tensor& running_mean, const Tensor& running_var, float momentum,
                                float eps);

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& running_mean, Tensor& running_var, bool training,
                    float momentum = 0.1f, float eps = 1e-5f);

}  // namespace learner
