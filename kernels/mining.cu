// CUDA mining: one block per anchor row bitonic-sorts the row's keys in shared memory.
// A key packs (d_ij, j) into 64 bits: for d >= 0 the float's bit pattern orders like the float,
// so comparing keys as integers is exactly the (d_ij, j) order of the spec, ties included.
#include <algorithm>

#include "base/cuda/check.h"
#include "base/error.h"
#include "kernels/mining.h"

namespace learner {

namespace {

constexpr unsigned long long kPadKey = ~0ull;  // sorts after every real key
constexpr size_t kDefaultSharedBytes = 48 * 1024;

// Grid (B, G); dynamic shared memory: `padded` keys (a power of two >= B - 1).
__global__ void mine_sort_row_kernel(uint8_t* roles, const float* d, int64_t B, int64_t padded) {
  extern __shared__ unsigned long long keys[];
  const int64_t i = blockIdx.x, g = blockIdx.y;
  const float* row = d + (g * B + i) * B;
  uint8_t* out = roles + (g * B + i) * B;
  for (int64_t p = threadIdx.x; p < padded; p += blockDim.x) {
    if (p < B - 1) {
      const int64_t j = p < i ? p : p + 1;  // the others, j != i
      keys[p] = (static_cast<unsigned long long>(__float_as_uint(row[j])) << 32) |
                static_cast<unsigned long long>(j);
    } else {
      keys[p] = kPadKey;
    }
  }
  __syncthreads();
  for (int64_t size = 2; size <= padded; size *= 2) {
    for (int64_t stride = size / 2; stride > 0; stride /= 2) {
      for (int64_t p = threadIdx.x; p < padded; p += blockDim.x) {
        const int64_t q = p ^ stride;
        if (q > p) {
          const bool ascending = (p & size) == 0;
          const unsigned long long a = keys[p], b = keys[q];
          if ((a > b) == ascending) {
            keys[p] = b;
            keys[q] = a;
          }
        }
      }
      __syncthreads();
    }
  }
  const int64_t k = B / 2;
  for (int64_t p = threadIdx.x; p < B - 1; p += blockDim.x) {
    MineRole role = MineRole::None;
    if (p < k - 1)
      role = MineRole::Positive;
    else if (p >= B - 1 - k)
      role = MineRole::Negative;
    out[keys[p] & 0xffffffffull] = static_cast<uint8_t>(role);
  }
  if (threadIdx.x == 0) out[i] = static_cast<uint8_t>(MineRole::None);
}

}  // namespace

void mine_pos_neg_cuda(uint8_t* roles, const float* d, int64_t G, int64_t B, cudaStream_t stream) {
  if (G * B == 0) return;
  LEARNER_CHECK(G <= 65535, "mining: at most 65535 groups per launch, got G = ", G);
  int64_t padded = 1;
  while (padded < B - 1) padded *= 2;
  const size_t bytes = static_cast<size_t>(padded) * sizeof(unsigned long long);
  if (bytes > kDefaultSharedBytes) {
    int device = 0, optin = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    LEARNER_CHECK(bytes <= static_cast<size_t>(optin), "mining: B = ", B, " needs ", bytes,
                  " bytes of shared memory for its row sort, this GPU gives a block at most ",
                  optin, "; use a smaller batch");
    CUDA_CHECK(cudaFuncSetAttribute(mine_sort_row_kernel,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
  }
  const int threads = static_cast<int>(std::min<int64_t>(512, std::max<int64_t>(32, padded)));
  const dim3 grid(static_cast<unsigned>(B), static_cast<unsigned>(G));
  mine_sort_row_kernel<<<grid, threads, bytes, stream>>>(roles, d, B, padded);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
