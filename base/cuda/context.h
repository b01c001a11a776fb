// Per-device CUDA state: one explicit stream with the cuDNN and cuBLAS handles bound to
// it, created on first use and kept for the life of the process. Everything the
// framework launches on a device goes to that device's stream, in order, so memory
// freed to the caching allocator may be reused by the next op without an event.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace learner::cuda {

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
};

// The context of a device; makes that device current on the calling thread.
Context& context(int device);

// The context whose stream this is (a stream from stream_for()); makes its device current.
// cuDNN and cuBLAS launchers take a stream like every kernel and find their handles here.
Context& context_of(cudaStream_t stream);

}  // namespace learner::cuda
