// Per-device CUDA state: one explicit stream with the cuDNN and cuBLAS handles bound to
// it, kept for the life of the process. Everything the framework launches on a device goes
// to that device's stream, in order, so memory freed to the caching allocator may be reused
// by the next op without an event.
//
// The stream is created with the context; the library handles on first use (cudnn_handle,
// cublas_handle), so that a cuDNN that fails to load fails the first convolution with its
// own message instead of every CUDA op.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace learner::cuda {

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;    // null until cudnn_handle() creates it
  cublasHandle_t cublas = nullptr;  // null until cublas_handle() creates it
  // The atomics mode last set on `cublas`; cublas_handle() follows deterministic().
  cublasAtomicsMode_t cublas_atomics = CUBLAS_ATOMICS_NOT_ALLOWED;
};

// The context of a device; makes that device current on the calling thread.
Context& context(int device);

// The context whose stream this is (a stream from stream_for()); makes its device current.
// cuDNN and cuBLAS launchers take a stream like every kernel and find their handles here.
Context& context_of(cudaStream_t stream);

// The cuDNN handle of this context, bound to its stream; created on the first call.
cudnnHandle_t cudnn_handle(Context& ctx);

// The cuBLAS handle of this context, bound to its stream; created on the first call. Its
// atomics mode is set from deterministic() on every call (atomics make some cuBLAS routines
// order-dependent), so a later set_deterministic() takes effect at the next GEMM.
cublasHandle_t cublas_handle(Context& ctx);

}  // namespace learner::cuda
