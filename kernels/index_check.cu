// CUDA index range check: a single block, each thread scanning a strided share of the
// indices, then a shared-memory minimum; index tensors are short, so one block suffices.
#include "base/cuda/check.h"
#include "kernels/index_check.h"

namespace learner {

namespace {

constexpr int kCheckThreads = 256;

template <typename I>
__global__ void first_bad_index_kernel(int64_t* result, const I* index, int64_t n, int64_t limit) {
  __shared__ int64_t first[kCheckThreads];
  int64_t mine = n;  // n means "none found"
  for (int64_t p = threadIdx.x; p < n; p += kCheckThreads) {
    const int64_t v = static_cast<int64_t>(index[p]);
    if (v < 0 || v >= limit) {
      mine = p;  // positions ascend, so the first hit is this thread's minimum
      break;
    }
  }
  first[threadIdx.x] = mine;
  __syncthreads();
  for (int s = kCheckThreads / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) first[threadIdx.x] = min(first[threadIdx.x], first[threadIdx.x + s]);
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const int64_t p = first[0];
    result[0] = p < n ? p : -1;
    result[1] = p < n ? static_cast<int64_t>(index[p]) : 0;
  }
}

template <typename I>
void launch(int64_t* result, const I* index, int64_t n, int64_t limit, cudaStream_t stream) {
  first_bad_index_kernel<I><<<1, kCheckThreads, 0, stream>>>(result, index, n, limit);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void first_bad_index_cuda(int64_t* result, const int64_t* index, int64_t n, int64_t limit,
                          cudaStream_t stream) {
  launch(result, index, n, limit, stream);
}
void first_bad_index_cuda(int64_t* result, const int32_t* index, int64_t n, int64_t limit,
                          cudaStream_t stream) {
  launch(result, index, n, limit, stream);
}

}  // namespace learner
