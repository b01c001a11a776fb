// CUDA index_select. Forward: one thread per output element. Backward, without atomics:
// stable radix sort of (index[p], p), per-row offsets into the sorted order by binary
// search, then one thread per dx element summing its dy rows in ascending p.
#include <cub/device/device_radix_sort.cuh>

#include "base/cuda/check.h"
#include "kernels/index_select.h"
#include "kernels/launch.cuh"

namespace learner {

namespace {

template <typename T, typename I>
__global__ void gather_kernel(T* out, const T* x, const I* index, int64_t length, int64_t rows,
                              int64_t inner, int64_t n) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t i = j % inner, p = (j / inner) % length, o = j / (inner * length);
    const int64_t r = static_cast<int64_t>(index[p]);
    out[j] = (r >= 0 && r < rows) ? x[(o * rows + r) * inner + i] : T(0);
  }
}

template <typename T, typename I>
void launch_gather(void* out, const void* x, const I* index, int64_t length, int64_t outer,
                   int64_t rows, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * length * inner;
  if (n == 0) return;
  gather_kernel<T, I><<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(
      static_cast<T*>(out), static_cast<const T*>(x), index, length, rows, inner, n);
  CUDA_CHECK_LAUNCH();
}

template <typename I>
void gather(void* out, const void* x, size_t element_size, const I* index, int64_t length,
            int64_t outer, int64_t rows, int64_t inner, cudaStream_t stream) {
  switch (element_size) {
    case 1: launch_gather<uint8_t>(out, x, index, length, outer, rows, inner, stream); break;
    case 2: launch_gather<uint16_t>(out, x, index, length, outer, rows, inner, stream); break;
    case 4: launch_gather<uint32_t>(out, x, index, length, outer, rows, inner, stream); break;
    default: launch_gather<uint64_t>(out, x, index, length, outer, rows, inner, stream); break;
  }
}

template <typename I>
__global__ void sort_input_kernel(uint32_t* keys, uint32_t* positions, const I* index,
                                  int64_t length) {
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < length;
       p += (int64_t)gridDim.x * blockDim.x) {
    keys[p] = static_cast<uint32_t>(index[p]);
    positions[p] = static_cast<uint32_t>(p);
  }
}

// offsets[r] = first k with sorted_keys[k] >= r, for r in [0, rows]: row r's positions are
// sorted_positions[offsets[r] .. offsets[r+1]).
__global__ void row_offsets_kernel(uint32_t* offsets, const uint32_t* sorted_keys, int64_t length,
                                   int64_t rows) {
  for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r <= rows;
       r += (int64_t)gridDim.x * blockDim.x) {
    int64_t lo = 0, hi = length;
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (static_cast<int64_t>(sorted_keys[mid]) < r) lo = mid + 1;
      else hi = mid;
    }
    offsets[r] = static_cast<uint32_t>(lo);
  }
}

__global__ void gather_sum_kernel(float* dx, const float* dy, const uint32_t* sorted_positions,
                                  const uint32_t* offsets, int64_t length, int64_t rows,
                                  int64_t inner, int64_t n) {
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n;
       j += (int64_t)gridDim.x * blockDim.x) {
    const int64_t i = j % inner, r = (j / inner) % rows, o = j / (inner * rows);
    const float* g = dy + o * length * inner + i;
    float acc = 0.f;
    for (uint32_t k = offsets[r]; k < offsets[r + 1]; ++k)
      acc += g[static_cast<int64_t>(sorted_positions[k]) * inner];
    dx[j] = acc;
  }
}

// Byte layout of the backward workspace, each piece 256-byte aligned.
struct BackwardWorkspace {
  size_t keys_in, keys_out, positions_in, positions_out, offsets, sort_temp, sort_temp_bytes, total;
};

size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

int key_bits(int64_t rows) {
  int bits = 1;
  while (bits < 32 && (int64_t{1} << bits) < rows) ++bits;
  return bits;
}

BackwardWorkspace plan_workspace(int64_t length, int64_t rows) {
  BackwardWorkspace w{};
  const size_t list = align_up(static_cast<size_t>(length) * sizeof(uint32_t));
  w.keys_in = 0;
  w.keys_out = w.keys_in + list;
  w.positions_in = w.keys_out + list;
  w.positions_out = w.positions_in + list;
  w.offsets = w.positions_out + list;
  w.sort_temp = w.offsets + align_up(static_cast<size_t>(rows + 1) * sizeof(uint32_t));
  // A size query only: CUB computes the bytes and launches nothing.
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, w.sort_temp_bytes,
                                             static_cast<const uint32_t*>(nullptr),
                                             static_cast<uint32_t*>(nullptr),
                                             static_cast<const uint32_t*>(nullptr),
                                             static_cast<uint32_t*>(nullptr),
                                             static_cast<int>(length), 0, key_bits(rows)));
  w.total = w.sort_temp + align_up(w.sort_temp_bytes);
  return w;
}

template <typename I>
void scatter_add(float* dx, const float* dy, const I* index, int64_t length, int64_t outer,
                 int64_t rows, int64_t inner, void* workspace, cudaStream_t stream) {
  const int64_t n = outer * rows * inner;
  if (n == 0) return;
  if (length == 0) {
    CUDA_CHECK(cudaMemsetAsync(dx, 0, static_cast<size_t>(n) * sizeof(float), stream));
    return;
  }
  const BackwardWorkspace w = plan_workspace(length, rows);
  char* base = static_cast<char*>(workspace);
  auto* keys_in = reinterpret_cast<uint32_t*>(base + w.keys_in);
  auto* keys_out = reinterpret_cast<uint32_t*>(base + w.keys_out);
  auto* positions_in = reinterpret_cast<uint32_t*>(base + w.positions_in);
  auto* positions_out = reinterpret_cast<uint32_t*>(base + w.positions_out);
  auto* offsets = reinterpret_cast<uint32_t*>(base + w.offsets);

  sort_input_kernel<I><<<blocks_for(length), kThreadsPerBlock, 0, stream>>>(keys_in, positions_in,
                                                                             index, length);
  CUDA_CHECK_LAUNCH();
  size_t temp_bytes = w.sort_temp_bytes;
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(base + w.sort_temp, temp_bytes, keys_in, keys_out,
                                             positions_in, positions_out, static_cast<int>(length),
                                             0, key_bits(rows), stream));
  row_offsets_kernel<<<blocks_for(rows + 1), kThreadsPerBlock, 0, stream>>>(offsets, keys_out,
                                                                            length, rows);
  CUDA_CHECK_LAUNCH();
  gather_sum_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(dx, dy, positions_out, offsets,
                                                                    length, rows, inner, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void index_select_forward_cuda(void* out, const void* x, size_t element_size,
                               const int64_t* index, int64_t length, int64_t outer, int64_t rows,
                               int64_t inner, cudaStream_t stream) {
  gather(out, x, element_size, index, length, outer, rows, inner, stream);
}
void index_select_forward_cuda(void* out, const void* x, size_t element_size,
                               const int32_t* index, int64_t length, int64_t outer, int64_t rows,
                               int64_t inner, cudaStream_t stream) {
  gather(out, x, element_size, index, length, outer, rows, inner, stream);
}

size_t index_select_backward_cuda_workspace(int64_t length, int64_t rows) {
  return length == 0 ? 0 : plan_workspace(length, rows).total;
}

void index_select_backward_cuda(float* dx, const float* dy, const int64_t* index, int64_t length,
                                int64_t outer, int64_t rows, int64_t inner, void* workspace,
                                cudaStream_t stream) {
  scatter_add(dx, dy, index, length, outer, rows, inner, workspace, stream);
}
void index_select_backward_cuda(float* dx, const float* dy, const int32_t* index, int64_t length,
                                int64_t outer, int64_t rows, int64_t inner, void* workspace,
                                cudaStream_t stream) {
  scatter_add(dx, dy, index, length, outer, rows, inner, workspace, stream);
}

}  // namespace learner
