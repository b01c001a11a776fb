// Caching device allocator (see allocator.h for the stream rule that makes reuse safe).
//
// Locking. The mutex guards only the pools' bookkeeping. Nothing that can wait for the
// device runs under it: cudaDeviceSynchronize and cudaFree wait for every queued kernel, and
// an NCCL kernel may be waiting for a peer rank that first needs memory from this allocator
// (another thread, e.g. the gradient-sync worker). Blocks to free are taken out of the pool
// under the lock and freed after it is released.
#include "base/cuda/allocator.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "base/cuda/check.h"

namespace learner::cuda {

namespace {

constexpr size_t kSmallRound = 512;               // small blocks: 512-byte granules
constexpr size_t kLargeRound = 2u << 20;          // large blocks: 2 MiB granules
constexpr size_t kLargeThreshold = 1u << 20;

bool exact_from_environment() {
  const char* v = std::getenv("LEARNER_CUDA_ALLOC_EXACT");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

std::mutex g_mutex;
bool g_exact = exact_from_environment();  // guarded by g_mutex after start

size_t round_size(size_t nbytes, bool exact) {
  if (nbytes == 0) nbytes = 1;
  if (exact) return nbytes;
  const size_t granule = nbytes < kLargeThreshold ? kSmallRound : kLargeRound;
  return (nbytes + granule - 1) / granule * granule;
}

struct Pool {
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  AllocatorStats stats;
};

std::map<int, Pool> g_pools;

// Takes every cached block out of the pool (call with g_mutex held); the caller frees them.
std::vector<void*> take_cached(Pool& pool) {
  std::vector<void*> blocks;
  for (auto& [size, ptr] : pool.free_blocks) {
    blocks.push_back(ptr);
    pool.stats.cached_bytes -= size;
  }
  pool.free_blocks.clear();
  return blocks;
}

// Waits for the device and frees the blocks (call without g_mutex).
void free_blocks(int device, const std::vector<void*>& blocks) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaDeviceSynchronize());
  for (void* ptr : blocks) CUDA_CHECK(cudaFree(ptr));
}

// True when no live tensor holds a block on any device (call with g_mutex held).
bool nothing_in_use() {
  for (const auto& entry : g_pools)
    if (entry.second.stats.in_use_bytes != 0) return false;
  return true;
}

}  // namespace

void* allocate(size_t nbytes, int device) {
  size_t size = 0;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    size = round_size(nbytes, g_exact);
    Pool& pool = g_pools[device];
    auto it = pool.free_blocks.find(size);
    if (it != pool.free_blocks.end()) {
      void* ptr = it->second;
      pool.free_blocks.erase(it);
      pool.stats.cached_bytes -= size;
      pool.stats.in_use_bytes += size;
      if (pool.stats.in_use_bytes > pool.stats.peak_bytes) pool.stats.peak_bytes = pool.stats.in_use_bytes;
      return ptr;
    }
  }
  void* ptr = nullptr;
  CUDA_CHECK(cudaSetDevice(device));
  cudaError_t err = cudaMalloc(&ptr, size);
  if (err == cudaErrorMemoryAllocation) {
    // Out of memory: give the cache back to the driver and try once more.
    cudaGetLastError();
    std::vector<void*> cached;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      cached = take_cached(g_pools[device]);
    }
    free_blocks(device, cached);
    err = cudaMalloc(&ptr, size);
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  Pool& pool = g_pools[device];
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(str("out of GPU memory on cuda:", device, " allocating ", size, " bytes (",
                    pool.stats.in_use_bytes, " bytes in use): use a smaller --batch or input size"));
  }
  ++pool.stats.device_mallocs;
  pool.stats.in_use_bytes += size;
  if (pool.stats.in_use_bytes > pool.stats.peak_bytes) pool.stats.peak_bytes = pool.stats.in_use_bytes;
  return ptr;
}

void release(void* ptr, size_t nbytes, int device) {
  if (ptr == nullptr) return;
  bool free_now = false;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    const size_t size = round_size(nbytes, g_exact);
    Pool& pool = g_pools[device];
    pool.stats.in_use_bytes -= size;
    if (g_exact) {
      free_now = true;  // nothing is cached: a later use of this block is a use after free
    } else {
      pool.free_blocks.emplace(size, ptr);
      pool.stats.cached_bytes += size;
    }
  }
  // cudaFree waits for the device, so work still queued on the block finishes first.
  if (free_now) free_blocks(device, {ptr});
}

AllocatorStats allocator_stats(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_pools[device].stats;
}

void empty_cache(int device) {
  std::vector<void*> cached;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    cached = take_cached(g_pools[device]);
  }
  free_blocks(device, cached);
}

void set_exact_allocation(bool on) {
  std::vector<std::pair<int, std::vector<void*>>> cached;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    LEARNER_CHECK(nothing_in_use(), "set_exact_allocation: device blocks are in use; switch "
                  "modes before allocating (a block must be released as it was sized)");
    g_exact = on;
    for (auto& [device, pool] : g_pools) cached.emplace_back(device, take_cached(pool));
  }
  for (const auto& [device, blocks] : cached) free_blocks(device, blocks);
}

bool exact_allocation() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_exact;
}

}  // namespace learner::cuda
