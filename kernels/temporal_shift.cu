// CUDA temporal shift: one grid row per frame, threads over the frame's C*H*W values, so the
// source frame is chosen once per block and no element needs an integer division.
#include "base/cuda/check.h"
#include "base/error.h"
#include "kernels/launch.cuh"
#include "kernels/temporal_shift.h"

namespace learner {

namespace {

__device__ __forceinline__ float zero_value(float) { return 0.f; }
__device__ __forceinline__ float4 zero_value(float4) { return make_float4(0.f, 0.f, 0.f, 0.f); }

// Vec is float (scalar kernel) or float4 (vector kernel); sizes count Vec elements.
// `first` is the frame offset of the first channel group (+1 forward, -1 backward).
template <typename Vec>
__device__ void shift_frames(Vec* __restrict__ out, const Vec* __restrict__ in, int64_t frames,
                             int64_t T, int64_t frame_size, int64_t group_size, int first) {
  for (int64_t f = blockIdx.y; f < frames; f += gridDim.y) {
    const int64_t t = f % T;
    const Vec* same = in + f * frame_size;
    const Vec* src_first = (t + first >= 0 && t + first < T) ? same + first * frame_size : nullptr;
    const Vec* src_second = (t - first >= 0 && t - first < T) ? same - first * frame_size : nullptr;
    Vec* dst = out + f * frame_size;
    for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < frame_size;
         p += (int64_t)gridDim.x * blockDim.x) {
      const Vec* src = p < group_size ? src_first : (p < 2 * group_size ? src_second : same);
      dst[p] = src != nullptr ? src[p] : zero_value(Vec{});
    }
  }
}

__global__ void temporal_shift_scalar_kernel(float* out, const float* in, int64_t frames, int64_t T,
                                             int64_t frame_size, int64_t group_size, int first) {
  shift_frames(out, in, frames, T, frame_size, group_size, first);
}

__global__ void temporal_shift_vector4_kernel(float4* out, const float4* in, int64_t frames,
                                              int64_t T, int64_t frame_size, int64_t group_size,
                                              int first) {
  shift_frames(out, in, frames, T, frame_size, group_size, first);
}

void launch_shift(float* out, const float* in, int64_t B, int64_t T, int64_t C, int64_t HW,
                  int64_t fold, int first, ShiftKernel kernel, cudaStream_t stream) {
  const int64_t frames = B * T;
  if (frames == 0 || C * HW == 0) return;
  const bool vectorizable = temporal_shift_vectorizable(out, in, C, HW, fold);
  LEARNER_CHECK(kernel != ShiftKernel::Vector4 || vectorizable,
                "temporal_shift: the float4 kernel needs 16-byte aligned buffers and C*H*W, "
                "fold*H*W multiples of 4; got C ",
                C, ", H*W ", HW, ", fold ", fold);
  const bool use_vector =
      kernel == ShiftKernel::Vector4 || (kernel == ShiftKernel::Auto && vectorizable);
  const int64_t width = use_vector ? 4 : 1;
  const int64_t frame_size = C * HW / width, group_size = fold * HW / width;
  const dim3 grid(blocks_for(frame_size), static_cast<unsigned>(std::min<int64_t>(frames, 65535)));
  if (use_vector) {
    temporal_shift_vector4_kernel<<<grid, kThreadsPerBlock, 0, stream>>>(
        reinterpret_cast<float4*>(out), reinterpret_cast<const float4*>(in), frames, T, frame_size,
        group_size, first);
  } else {
    temporal_shift_scalar_kernel<<<grid, kThreadsPerBlock, 0, stream>>>(
        out, in, frames, T, frame_size, group_size, first);
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void temporal_shift_forward_cuda(float* out, const float* x, int64_t B, int64_t T, int64_t C,
                                 int64_t HW, int64_t fold, ShiftKernel kernel, cudaStream_t stream) {
  launch_shift(out, x, B, T, C, HW, fold, +1, kernel, stream);
}

void temporal_shift_backward_cuda(float* dx, const float* dy, int64_t B, int64_t T, int64_t C,
                                  int64_t HW, int64_t fold, ShiftKernel kernel,
                                  cudaStream_t stream) {
  launch_shift(dx, dy, B, T, C, HW, fold, -1, kernel, stream);
}

}  // namespace learner
