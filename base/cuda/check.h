// One checking macro per CUDA library. Each reports the call, the library's own error
// text and file:line, then throws: a failed CUDA call is never ignored.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "base/error.h"

namespace learner::cuda {
[[noreturn]] void fail(const char* library, const char* call, const char* detail, const char* file,
                       int line);
const char* cublas_error_text(cublasStatus_t status);
}  // namespace learner::cuda

#define CUDA_CHECK(call)                                                                   \
  do {                                                                                     \
    cudaError_t learner_err_ = (call);                                                     \
    if (learner_err_ != cudaSuccess)                                                       \
      ::learner::cuda::fail("CUDA", #call, cudaGetErrorString(learner_err_), __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: catches bad launch configurations at once.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

#define CUDNN_CHECK(call)                                                                      \
  do {                                                                                         \
    cudnnStatus_t learner_st_ = (call);                                                        \
    if (learner_st_ != CUDNN_STATUS_SUCCESS)                                                   \
      ::learner::cuda::fail("cuDNN", #call, cudnnGetErrorString(learner_st_), __FILE__, __LINE__); \
  } while (0)

#define CUBLAS_CHECK(call)                                                                   \
  do {                                                                                       \
    cublasStatus_t learner_st_ = (call);                                                     \
    if (learner_st_ != CUBLAS_STATUS_SUCCESS)                                                \
      ::learner::cuda::fail("cuBLAS", #call, ::learner::cuda::cublas_error_text(learner_st_), \
                            __FILE__, __LINE__);                                             \
  } while (0)
