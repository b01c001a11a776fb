// CUDA row softmax with bias: one warp per row, lanes stride over L, max and sum along a
// fixed xor tree (results repeat to the bit).
#include <cfloat>

#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/softmax.h"

namespace learner {

namespace {

constexpr int kWarpsPerBlock = kThreadsPerBlock / 32;

__global__ void softmax_forward_kernel(float* y, const float* x, const float* bias, int64_t rows,
                                       int64_t P, int64_t L) {
  const int lane = threadIdx.x % 32;
  for (int64_t row = blockIdx.x * (int64_t)kWarpsPerBlock + threadIdx.x / 32; row < rows;
       row += (int64_t)gridDim.x * kWarpsPerBlock) {
    const float* xr = x + row * L;
    const float* br = bias != nullptr ? bias + (row % P) * L : nullptr;
    float* yr = y + row * L;
    float top = -INFINITY;
    for (int64_t l = lane; l < L; l += 32) {
      const float z = br != nullptr ? xr[l] + br[l] : xr[l];
      yr[l] = z;
      top = fmaxf(top, z);
    }
    for (int offset = 16; offset > 0; offset /= 2)
      top = fmaxf(top, __shfl_xor_sync(0xffffffffu, top, offset));
    if (top == -INFINITY) {  // fully masked row (uniform over the warp)
      for (int64_t l = lane; l < L; l += 32) yr[l] = 0.f;
      continue;
    }
    float total = 0.f;
    for (int64_t l = lane; l < L; l += 32) {
      const float e = expf(yr[l] - top);
      yr[l] = e;
      total += e;
    }
    for (int offset = 16; offset > 0; offset /= 2)
      total += __shfl_xor_sync(0xffffffffu, total, offset);
    const float inv = 1.f / total;
    for (int64_t l = lane; l < L; l += 32) yr[l] *= inv;
  }
}

__global__ void softmax_backward_kernel(float* dx, const float* dy, const float* y, int64_t rows,
                                        int64_t L) {
  const int lane = threadIdx.x % 32;
  for (int64_t row = blockIdx.x * (int64_t)kWarpsPerBlock + threadIdx.x / 32; row < rows;
       row += (int64_t)gridDim.x * kWarpsPerBlock) {
    const float* gr = dy + row * L;
    const float* yr = y + row * L;
    float dot = 0.f;
    for (int64_t l = lane; l < L; l += 32) dot += gr[l] * yr[l];
    for (int offset = 16; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    float* dxr = dx + row * L;
    for (int64_t l = lane; l < L; l += 32) dxr[l] = yr[l] * (gr[l] - dot);
  }
}

int row_blocks(int64_t rows) {
  return static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock, 65535)));
}

}  // namespace

void softmax_forward_cuda(float* y, const float* x, const float* bias, int64_t Q, int64_t P,
                          int64_t L, cudaStream_t stream) {
  if (Q * P == 0 || L == 0) return;
  softmax_forward_kernel<<<row_blocks(Q * P), kThreadsPerBlock, 0, stream>>>(y, x, bias, Q * P, P, L);
  CUDA_CHECK_LAUNCH();
}

void softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t rows, int64_t L,
                           cudaStream_t stream) {
  if (rows == 0 || L == 0) return;
  softmax_backward_kernel<<<row_blocks(rows), kThreadsPerBlock, 0, stream>>>(dx, dy, y, rows, L);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
