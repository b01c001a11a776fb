// CUDA elementwise kernels: grid-stride loops, one launch each, checked after launch.
#include "base/cuda/check.h"
#include "kernels/elementwise.h"
#include "kernels/launch.cuh"

namespace learner {

namespace {

__global__ void add_forward_kernel(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = a[i] + b[i];
}

__global__ void mul_forward_kernel(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = a[i] * b[i];
}

__global__ void axpby_kernel(float* out, float alpha, const float* a, float beta, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = alpha * a[i] + beta * b[i];
}

__global__ void scale_kernel(float* out, float alpha, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = alpha * x[i];
}

__global__ void accumulate_kernel(float* dst, const float* src, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    dst[i] += src[i];
}

__global__ void relu_forward_kernel(float* out, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = x[i] > 0.f ? x[i] : 0.f;
}

__global__ void relu_backward_kernel(float* dx, const float* dy, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

}  // namespace

void add_forward_cuda(float* out, const float* a, const float* b, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_forward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, a, b, n);
  CUDA_CHECK_LAUNCH();
}

void mul_forward_cuda(float* out, const float* a, const float* b, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  mul_forward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, a, b, n);
  CUDA_CHECK_LAUNCH();
}

void axpby_cuda(float* out, float alpha, const float* a, float beta, const float* b, int64_t n,
                cudaStream_t stream) {
  if (n == 0) return;
  axpby_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, alpha, a, beta, b, n);
  CUDA_CHECK_LAUNCH();
}

void scale_cuda(float* out, float alpha, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, alpha, x, n);
  CUDA_CHECK_LAUNCH();
}

void accumulate_cuda(float* dst, const float* src, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  accumulate_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dst, src, n);
  CUDA_CHECK_LAUNCH();
}

void relu_forward_cuda(float* out, const float* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  relu_forward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, x, n);
  CUDA_CHECK_LAUNCH();
}

void relu_backward_cuda(float* dx, const float* dy, const float* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  relu_backward_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dx, dy, y, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
