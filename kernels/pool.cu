// CUDA pooling (see pool.h): one thread per output cell forward, one thread per input cell
// backward (a gather over the windows that contain it: deterministic, no atomics), and one
// warp per plane for the global mean.
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/pool.h"
#include "kernels/pool_cell.h"

namespace learner {

namespace {

__global__ void maxpool2d_forward_kernel(float* y, int32_t* argmax, const float* x, PoolGeometry g,
                                         int64_t n_out) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_out;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t p = j / out_plane, r = j - p * out_plane;
    const int64_t oh = r / g.OW, ow = r - oh * g.OW;
    maxpool2d_cell(y + j, argmax + j, x + p * in_plane, g, oh, ow);
  }
}

__global__ void maxpool2d_backward_kernel(float* dx, const float* dy, const int32_t* argmax,
                                          PoolGeometry g, int64_t n_in) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_in;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t p = j / in_plane, r = j - p * in_plane;
    const int64_t h = r / g.W, w = r - h * g.W;
    dx[j] = maxpool2d_backward_cell(dy + p * out_plane, argmax + p * out_plane, g, h, w);
  }
}

__global__ void avgpool2d_forward_kernel(float* y, const float* x, PoolGeometry g, int64_t n_out) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_out;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t p = j / out_plane, r = j - p * out_plane;
    const int64_t oh = r / g.OW, ow = r - oh * g.OW;
    y[j] = avgpool2d_cell(x + p * in_plane, g, oh, ow);
  }
}

__global__ void avgpool2d_backward_kernel(float* dx, const float* dy, PoolGeometry g,
                                          int64_t n_in) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_in;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t p = j / in_plane, r = j - p * in_plane;
    const int64_t h = r / g.W, w = r - h * g.W;
    dx[j] = avgpool2d_backward_cell(dy + p * out_plane, g, h, w);
  }
}

// One warp per (n, c) plane: lanes sum strided cells in double, then a fixed shuffle tree.
__global__ void global_avgpool2d_forward_kernel(float* y, const float* x, int64_t NC, int64_t HW) {
  const int lane = threadIdx.x & 31;
  const int64_t warps_per_grid = (int64_t)gridDim.x * (blockDim.x >> 5);
  for (int64_t p = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5; p < NC;
       p += warps_per_grid) {
    double sum = 0;
    for (int64_t i = lane; i < HW; i += 32) sum += x[p * HW + i];
    for (int offset = 16; offset > 0; offset >>= 1)
      sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (lane == 0) y[p] = static_cast<float>(sum / static_cast<double>(HW));
  }
}

__global__ void global_avgpool2d_backward_kernel(float* dx, const float* dy, int64_t HW,
                                                 float inv_hw, int64_t n_in) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n_in;
       j += (int64_t)gridDim.x * blockDim.x)
    dx[j] = dy[j / HW] * inv_hw;
}

}  // namespace

void maxpool2d_forward_cuda(float* y, int32_t* argmax, const float* x, const PoolGeometry& g,
                            cudaStream_t stream) {
  const int64_t n_out = g.N * g.C * g.OH * g.OW;
  if (n_out == 0) return;
  maxpool2d_forward_kernel<<<blocks_for(n_out), kThreadsPerBlock, 0, stream>>>(y, argmax, x, g,
                                                                               n_out);
  CUDA_CHECK_LAUNCH();
}

void maxpool2d_backward_cuda(float* dx, const float* dy, const int32_t* argmax,
                             const PoolGeometry& g, cudaStream_t stream) {
  const int64_t n_in = g.N * g.C * g.H * g.W;
  if (n_in == 0) return;
  maxpool2d_backward_kernel<<<blocks_for(n_in), kThreadsPerBlock, 0, stream>>>(dx, dy, argmax, g,
                                                                               n_in);
  CUDA_CHECK_LAUNCH();
}

void avgpool2d_forward_cuda(float* y, const float* x, const PoolGeometry& g, cudaStream_t stream) {
  const int64_t n_out = g.N * g.C * g.OH * g.OW;
  if (n_out == 0) return;
  avgpool2d_forward_kernel<<<blocks_for(n_out), kThreadsPerBlock, 0, stream>>>(y, x, g, n_out);
  CUDA_CHECK_LAUNCH();
}

void avgpool2d_backward_cuda(float* dx, const float* dy, const PoolGeometry& g,
                             cudaStream_t stream) {
  const int64_t n_in = g.N * g.C * g.H * g.W;
  if (n_in == 0) return;
  avgpool2d_backward_kernel<<<blocks_for(n_in), kThreadsPerBlock, 0, stream>>>(dx, dy, g, n_in);
  CUDA_CHECK_LAUNCH();
}

void global_avgpool2d_forward_cuda(float* y, const float* x, int64_t NC, int64_t HW,
                                   cudaStream_t stream) {
  if (NC == 0) return;  // callers guarantee HW > 0
  global_avgpool2d_forward_kernel<<<blocks_for(NC * 32), kThreadsPerBlock, 0, stream>>>(y, x, NC,
                                                                                        HW);
  CUDA_CHECK_LAUNCH();
}

void global_avgpool2d_backward_cuda(float* dx, const float* dy, int64_t NC, int64_t HW,
                                    cudaStream_t stream) {
  const int64_t n_in = NC * HW;
  if (n_in == 0) return;
  const float inv_hw = 1.f / static_cast<float>(HW);
  global_avgpool2d_backward_kernel<<<blocks_for(n_in), kThreadsPerBlock, 0, stream>>>(dx, dy, HW,
                                                                                      inv_hw, n_in);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
