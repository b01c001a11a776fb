// 2-D convolution (cross-correlation, as PyTorch) on NCHW f32 buffers, with stride, padding
// and dilation. CPU: oneDNN, or the im2col + OpenBLAS sgemm reference. CUDA: cuDNN (kernels/conv2d_cudnn_cuda.cpp).
//
// With ih = p*stride_h - pad_h + r*dilation_h, iw = q*stride_w - pad_w + s*dilation_w, and x
// read as 0 outside the image:
//   y[n,k,p,q]  = b[k] + sum_{c,r,s} w[k,c,r,s] * x[n,c,ih,iw]
//   dx[n,c,h,w] = sum of w[k,c,r,s] * dy[n,k,p,q] over all (k,r,s,p,q) with (ih,iw) = (h,w)
//   dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n,c,ih,iw]
//   db[k]       = sum_{n,p,q} dy[n,k,p,q]
// Every kernel overwrites its outputs; gradients are summed into .grad by autograd, not here.
#pragma once

#include <cstdint>

#include "base/stream.h"

namespace learner {

struct Conv2dGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // x is (N, C, H, W)
  int64_t K = 0, R = 0, S = 0;         // weight is (K, C, R, S)
  int64_t P = 0, Q = 0;                // y is (N, K, P, Q)
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
};

// Output length along one axis: (in + 2*pad - dilation*(kernel-1) - 1) / stride + 1
// (may be <= 0 when the dilated kernel does not fit: callers check).
inline int64_t conv2d_output_size(int64_t in, int64_t kernel, int stride, int pad, int dilation) {
  const int64_t span = in + 2 * static_cast<int64_t>(pad) - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// The CPU implementations behind conv2d_forward_cpu / conv2d_backward_cpu:
//   OneDnn     oneDNN's convolutions (kernels/conv2d_onednn.cpp): the default when built with it.
//   Reference  im2col + OpenBLAS sgemm (kernels/conv2d.cpp): the spec oneDNN is tested against,
//              bit-identical for any thread count; for debugging a suspected oneDNN problem.
// The environment variable LEARNER_CPU_CONV=reference|onednn picks one at start-up;
// set_conv2d_cpu_backend changes it later (tests, benchmarks). Not meant to change while
// convolutions run on other threads.
enum class Conv2dCpuBackend { Reference, OneDnn };
Conv2dCpuBackend conv2d_cpu_backend();
// Throws learner::Error for OneDnn in a build without oneDNN.
void set_conv2d_cpu_backend(Conv2dCpuBackend backend);
const char* conv2d_cpu_backend_name();  // for logs and benchmarks

// y is (N, K, P, Q); x is (N, C, H, W); w is (K, C, R, S); b is (K) or nullptr (no bias).
void conv2d_forward_cpu(float* y, const float* x, const float* w, const float* b,
                        const Conv2dGeometry& g);

// dy is (N, K, P, Q). Each output may be nullptr when that gradient is not needed:
// dx is (N, C, H, W) (reads w), dw is (K, C, R, S) (reads x), db is (K). x may be nullptr
// when dw is, and w when dx is.
void conv2d_backward_cpu(float* dx, float* dw, float* db, const float* dy, const float* x,
                         const float* w, const Conv2dGeometry& g);

// The reference implementation itself, whatever the selected backend.
void conv2d_forward_reference(float* y, const float* x, const float* w, const float* b,
                              const Conv2dGeometry& g);
void conv2d_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                               const float* w, const Conv2dGeometry& g);

// The same contract on device buffers, issued to `stream` (a device's stream_for(), whose
// cuDNN handle cuda::context_of finds); the algorithm is chosen per shape by cuDNN,
// deterministic ones only in deterministic mode.
void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b,
                         const Conv2dGeometry& g, cudaStream_t stream);
void conv2d_backward_cuda(float* dx, float* dw, float* db, const float* dy, const float* x,
                          const float* w, const Conv2dGeometry& g, cudaStream_t stream);

}  // namespace learner
