// The fixed-order block reduction our deterministic CUDA kernels share: a warp-shuffle tree
// within each warp, then over the warps' partial sums. No atomics: for a given block size the
// order of additions is fixed, so the sum repeats to the bit.
#pragma once

namespace learner {

// Sum of v over the block, returned to every thread. scratch holds 33 doubles in shared
// memory; blockDim.x is a multiple of 32, at most 1024.
__device__ inline double block_sum(double v, double* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x >> 5) ? scratch[lane] : 0.0;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    if (lane == 0) scratch[32] = v;
  }
  __syncthreads();
  const double total = scratch[32];
  __syncthreads();  // the next call may overwrite scratch
  return total;
}

}  // namespace learner
