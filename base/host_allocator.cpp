// The host caching allocator (base/host_allocator.h says why and how).
#include "base/host_allocator.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"

namespace learner {

namespace {

constexpr size_t kHostAlignment = 64;
constexpr size_t kDefaultLimitMiB = 4096;

// The size class of a request: what is actually allocated, and the free list it returns to.
size_t size_class(size_t nbytes) {
  if (nbytes <= 4096) return nbytes == 0 ? kHostAlignment : (nbytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  size_t power = 4096;
  while (power * 2 < nbytes) power *= 2;  // power < nbytes <= 2 * power
  const size_t step = power / 8;
  return (nbytes + step - 1) / step * step;
}

size_t limit_from_environment() {
  const char* text = std::getenv("LEARNER_HOST_CACHE_MB");
  if (text == nullptr || *text == '\0') return kDefaultLimitMiB << 20;
  char* end = nullptr;
  const unsigned long long mib = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0')
    throw Error(str("LEARNER_HOST_CACHE_MB='", text, "' is not a whole number of MiB (0 turns the host cache off)"));
  return static_cast<size_t>(mib) << 20;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by size class
  size_t cached_bytes = 0;
  size_t limit = limit_from_environment();
  uint64_t hits = 0, misses = 0;

  // With the mutex held.
  void empty_locked() {
    for (auto& [bytes, blocks] : free_blocks)
      for (void* block : blocks) std::free(block);
    free_blocks.clear();
    cached_bytes = 0;
  }
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: tensors may be freed during exit
  return *instance;
}

}  // namespace

void* host_allocate(size_t nbytes) {
  const size_t bytes = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= bytes;
      ++c.hits;
      return block;
    }
    ++c.misses;
  }
  void* block = std::aligned_alloc(kHostAlignment, bytes);
  if (block == nullptr) {  // the cache may hold what the system lacks
    host_cache_empty();
    block = std::aligned_alloc(kHostAlignment, bytes);
  }
  if (block == nullptr) throw Error(str("out of host memory allocating ", nbytes, " bytes"));
  return block;
}

void host_release(void* data, size_t nbytes) {
  if (data == nullptr) return;
  const size_t bytes = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached_bytes + bytes <= c.limit) {
      c.free_blocks[bytes].push_back(data);
      c.cached_bytes += bytes;
      return;
    }
  }
  std::free(data);
}

HostCacheStats host_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return {c.hits, c.misses, c.cached_bytes};
}

void host_cache_empty() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.empty_locked();
}

void set_host_cache_limit(size_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.limit = bytes;
  if (c.cached_bytes > bytes) c.empty_locked();
}

size_t host_cache_limit() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.limit;
}

void host_cache_fill_free_blocks(unsigned char byte) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [bytes, blocks] : c.free_blocks)
    for (void* block : blocks) std::memset(block, byte, bytes);
}

}  // namespace learner
