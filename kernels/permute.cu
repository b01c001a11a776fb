// CUDA permute: one thread per output element; it decomposes its output index with the
// output sizes and gathers from the strided input (writes coalesced, reads scattered).
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/permute.h"

namespace learner {

namespace {

struct PermuteGeometry {  // passed by value: lives in kernel parameter space
  int rank;
  int64_t out_shape[kMaxPermuteRank];
  int64_t src_stride[kMaxPermuteRank];
};

template <typename T>
__global__ void permute_kernel(T* out, const T* x, PermuteGeometry geo, int64_t n) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n;
       j += (int64_t)gridDim.x * blockDim.x) {
    int64_t src = 0, rest = j;
    for (int k = geo.rank - 1; k >= 0; --k) {
      src += (rest % geo.out_shape[k]) * geo.src_stride[k];
      rest /= geo.out_shape[k];
    }
    out[j] = x[src];
  }
}

template <typename T>
void launch(void* out, const void* x, const PermuteGeometry& geo, int64_t n, cudaStream_t stream) {
  permute_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(
      static_cast<T*>(out), static_cast<const T*>(x), geo, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void permute_cuda(void* out, const void* x, size_t element_size, int rank,
                  const int64_t* in_shape, const int* dims, cudaStream_t stream) {
  PermuteGeometry geo{};
  geo.rank = rank;
  int64_t in_stride[kMaxPermuteRank];
  int64_t n = 1;
  for (int d = rank - 1; d >= 0; --d) {
    in_stride[d] = n;
    n *= in_shape[d];
  }
  for (int k = 0; k < rank; ++k) {
    geo.out_shape[k] = in_shape[dims[k]];
    geo.src_stride[k] = in_stride[dims[k]];
  }
  if (n == 0) return;
  switch (element_size) {
    case 1: launch<uint8_t>(out, x, geo, n, stream); break;
    case 2: launch<uint16_t>(out, x, geo, n, stream); break;
    case 4: launch<uint32_t>(out, x, geo, n, stream); break;
    default: launch<uint64_t>(out, x, geo, n, stream); break;
  }
}

}  // namespace learner
