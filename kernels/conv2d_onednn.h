// conv2d on the CPU through oneDNN: the contract of kernels/conv2d.h on host buffers. These are
// what conv2d_forward_cpu / conv2d_backward_cpu dispatch to unless the reference is selected
// (LEARNER_CPU_CONV=reference, or set_conv2d_cpu_backend); tests compare the two.
#pragma once

#include "kernels/conv2d.h"

namespace learner {

// True when this build links oneDNN (cmake found libdnnl-dev).
bool conv2d_onednn_built();

void conv2d_forward_onednn(float* y, const float* x, const float* w, const float* b,
                           const Conv2dGeometry& g);
// dx and/or dw (either may be nullptr); the bias gradient is the caller's (a plain sum).
void conv2d_backward_onednn(float* dx, float* dw, const float* dy, const float* x, const float* w,
                            const Conv2dGeometry& g);

}  // namespace learner
