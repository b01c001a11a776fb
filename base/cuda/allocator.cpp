// Caching device allocator (see allocator.h for the stream rule that makes reuse safe).
#include "base/cuda/allocator.h"

#include <map>
#include <mutex>
#include <vector>

#include "base/cuda/check.h"

namespace learner::cuda {

namespace {

constexpr size_t kSmallRound = 512;               // small blocks: 512-byte granules
constexpr size_t kLargeRound = 2u << 20;          // large blocks: 2 MiB granules
constexpr size_t kLargeThreshold = 1u << 20;

size_t round_size(size_t nbytes) {
  if (nbytes == 0) nbytes = 1;
  const size_t granule = nbytes < kLargeThreshold ? kSmallRound : kLargeRound;
  return (nbytes + granule - 1) / granule * granule;
}

struct Pool {
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  AllocatorStats stats;
};

std::mutex g_mutex;
std::map<int, Pool> g_pools;

void release_cached(Pool& pool) {
  for (auto& [size, ptr] : pool.free_blocks) {
    CUDA_CHECK(cudaFree(ptr));
    pool.stats.cached_bytes -= size;
  }
  pool.free_blocks.clear();
}

}  // namespace

void* allocate(size_t nbytes, int device) {
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(g_mutex);
  Pool& pool = g_pools[device];
  void* ptr = nullptr;
  auto it = pool.free_blocks.find(size);
  if (it != pool.free_blocks.end()) {
    ptr = it->second;
    pool.free_blocks.erase(it);
    pool.stats.cached_bytes -= size;
  } else {
    CUDA_CHECK(cudaSetDevice(device));
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      // Out of memory: give the cache back to the driver and try once more.
      cudaGetLastError();
      CUDA_CHECK(cudaDeviceSynchronize());
      release_cached(pool);
      err = cudaMalloc(&ptr, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw Error(str("out of GPU memory on cuda:", device, " allocating ", size, " bytes (",
                      pool.stats.in_use_bytes, " bytes in use): use a smaller --batch or input size"));
    }
    ++pool.stats.device_mallocs;
  }
  pool.stats.in_use_bytes += size;
  if (pool.stats.in_use_bytes > pool.stats.peak_bytes) pool.stats.peak_bytes = pool.stats.in_use_bytes;
  return ptr;
}

void release(void* ptr, size_t nbytes, int device) {
  if (ptr == nullptr) return;
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(g_mutex);
  Pool& pool = g_pools[device];
  pool.free_blocks.emplace(size, ptr);
  pool.stats.in_use_bytes -= size;
  pool.stats.cached_bytes += size;
}

AllocatorStats allocator_stats(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_pools[device].stats;
}

void empty_cache(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaDeviceSynchronize());
  release_cached(g_pools[device]);
}

}  // namespace learner::cuda
