// CUDA axis sums. Three fixed layouts, chosen from the sizes alone so a result repeats to
// the bit: many outputs -> one thread per output summing r in order; few outputs -> one
// block per output (strided partial sums, then a shared-memory tree); a single output over
// many elements -> the block layout twice (fixed number of partial blocks, then their sum).
#include "base/cuda/check.h"
#include "kernels/launch.cuh"
#include "kernels/reduce.h"

namespace learner {

namespace {

constexpr int kReduceThreads = 256;       // threads of a block-per-output reduction (power of 2)
constexpr int64_t kFewOutputs = 1024;     // below this many outputs, give each output a block
constexpr int64_t kMinBlockReduce = 64;   // shorter sums are cheaper on one thread
constexpr int64_t kSplitReduce = 16384;   // a lone output longer than this uses partial blocks
constexpr int64_t kSplitChunk = 4096;     // elements per partial block
constexpr int64_t kMaxSplitBlocks = 1024;

__global__ void sum_thread_per_output_kernel(float* out, const float* x, int64_t outer,
                                             int64_t reduce, int64_t inner, float scale) {
  const int64_t n = outer * inner;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t o = j / inner, i = j % inner;
    const float* p = x + o * reduce * inner + i;
    float acc = 0.f;
    for (int64_t r = 0; r < reduce; ++r) acc += p[r * inner];
    out[j] = scale * acc;
  }
}

// Block b sums segment (b % segments) of output (b / segments); a segment is seg_len
// consecutive r. Thread t adds r = t, t + 256, ... of its segment in order, then the block
// halves its partials in a fixed tree.
__global__ void sum_block_per_output_kernel(float* out, const float* x, int64_t reduce,
                                            int64_t inner, int64_t seg_len, int64_t segments,
                                            float scale) {
  __shared__ float partial[kReduceThreads];
  const int64_t output = blockIdx.x / segments, segment = blockIdx.x % segments;
  const int64_t o = output / inner, i = output % inner;
  const float* p = x + o * reduce * inner + i;
  const int64_t begin = segment * seg_len;
  const int64_t end = min(reduce, begin + seg_len);
  float acc = 0.f;
  for (int64_t r = begin + threadIdx.x; r < end; r += kReduceThreads) acc += p[r * inner];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int s = kReduceThreads / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = scale * partial[0];
}

__global__ void broadcast_axis_kernel(float* dx, const float* dy, int64_t reduce, int64_t inner,
                                      int64_t n, float scale) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t o = j / (reduce * inner), i = j % inner;
    dx[j] = scale * dy[o * inner + i];
  }
}

int64_t split_blocks(int64_t reduce) {
  return std::min<int64_t>(kMaxSplitBlocks, (reduce + kSplitChunk - 1) / kSplitChunk);
}

bool uses_split(int64_t outer, int64_t reduce, int64_t inner) {
  return outer * inner == 1 && reduce > kSplitReduce;
}

}  // namespace

int64_t sum_axis_cuda_workspace(int64_t outer, int64_t reduce, int64_t inner) {
  return uses_split(outer, reduce, inner) ? split_blocks(reduce) : 0;
}

void sum_axis_cuda(float* out, const float* x, int64_t outer, int64_t reduce, int64_t inner,
                   float scale, float* workspace, cudaStream_t stream) {
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  if (uses_split(outer, reduce, inner)) {
    const int64_t blocks = split_blocks(reduce);
    const int64_t seg_len = (reduce + blocks - 1) / blocks;
    sum_block_per_output_kernel<<<(unsigned)blocks, kReduceThreads, 0, stream>>>(
        workspace, x, reduce, 1, seg_len, blocks, 1.f);
    CUDA_CHECK_LAUNCH();
    sum_block_per_output_kernel<<<1, kReduceThreads, 0, stream>>>(out, workspace, blocks, 1,
                                                                   blocks, 1, scale);
    CUDA_CHECK_LAUNCH();
  } else if (outputs < kFewOutputs && reduce >= kMinBlockReduce) {
    sum_block_per_output_kernel<<<(unsigned)outputs, kReduceThreads, 0, stream>>>(
        out, x, reduce, inner, reduce, 1, scale);
    CUDA_CHECK_LAUNCH();
  } else {
    sum_thread_per_output_kernel<<<blocks_for(outputs), kThreadsPerBlock, 0, stream>>>(
        out, x, outer, reduce, inner, scale);
    CUDA_CHECK_LAUNCH();
  }
}

void broadcast_axis_cuda(float* dx, const float* dy, int64_t outer, int64_t reduce, int64_t inner,
                         float scale, cudaStream_t stream) {
  const int64_t n = outer * reduce * inner;
  if (n == 0) return;
  broadcast_axis_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dx, dy, reduce, inner, n,
                                                                         scale);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
