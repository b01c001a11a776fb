// CUDA inverted dropout: one grid-stride loop; the mask comes from counter_rng as on the CPU.
#include "base/cuda/check.h"
#include "base/counter_rng.h"
#include "kernels/dropout.h"
#include "kernels/launch.cuh"

namespace learner {

namespace {

__global__ void dropout_kernel(float* out, const float* in, int64_t n, float p, float scale,
                               uint64_t seed, uint64_t first) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const bool keep = counter_rng_uniform(seed, first + static_cast<uint64_t>(i)) >= p;
    out[i] = keep ? scale * in[i] : 0.f;
  }
}

}  // namespace

void dropout_cuda(float* out, const float* in, int64_t n, float p, float scale, uint64_t seed,
                  uint64_t first, cudaStream_t stream) {
  if (n == 0) return;
  dropout_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(out, in, n, p, scale, seed, first);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
