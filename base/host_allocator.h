// Host memory for tensors and kernel scratch buffers: 64-byte aligned (a cache line; enough
// for AVX-512 loads), from a caching allocator.
//
// Why a cache: a training step frees and re-allocates the same activation and gradient sizes
// every step, and glibc returns large blocks to the kernel (munmap / heap trim), so every
// step paid for page faults and the kernel zeroing fresh pages (10% of a CPU step, issue 14).
// Released blocks are kept in per-size-class free lists and handed out again. Sizes are
// rounded up to a class (64-byte steps below 4 KiB, then 8 classes per power of two: at most
// 12.5% slack). The cache holds at most host_cache_limit() bytes of free blocks; past that,
// releases go back to the system. When the system refuses an allocation, the cache is
// emptied and the allocation tried once more.
//
// LEARNER_HOST_CACHE_MB=N sets the limit in MiB at start-up (default 4096); 0 turns caching
// off (every release is a free, as before), to rule the cache out when debugging.
// Contents of a block handed out are unspecified, as with malloc; callers that need zeros
// write them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace learner {

// Returns at least `nbytes` bytes (nbytes may be 0); throws learner::Error when out of memory.
void* host_allocate(size_t nbytes);
// Gives back what host_allocate returned for the same `nbytes` (nullptr is ignored).
void host_release(void* data, size_t nbytes);

struct HostCacheStats {
  uint64_t hits = 0;          // allocations served from the cache
  uint64_t misses = 0;        // allocations that went to the system
  size_t cached_bytes = 0;    // free blocks held now
};
HostCacheStats host_cache_stats();
// Frees every cached block (memory in use is untouched).
void host_cache_empty();
// Bytes of free blocks the cache may hold; 0 disables caching (and empties the cache).
void set_host_cache_limit(size_t bytes);
size_t host_cache_limit();
// Overwrites every cached free block with `byte` (tests: code that reads memory it did not
// write then sees garbage, not the zeros of fresh pages).
void host_cache_fill_free_blocks(unsigned char byte);

// An owned host buffer (move-only); empty when default-constructed.
class HostBuffer {
 public:
  HostBuffer() = default;
  explicit HostBuffer(size_t nbytes) : data_(host_allocate(nbytes)), nbytes_(nbytes) {}
  ~HostBuffer() { host_release(data_, nbytes_); }
  HostBuffer(HostBuffer&& o) noexcept : data_(o.data_), nbytes_(o.nbytes_) { o.data_ = nullptr, o.nbytes_ = 0; }
  HostBuffer& operator=(HostBuffer&& o) noexcept {
    if (this != &o) {
      host_release(data_, nbytes_);
      data_ = o.data_, nbytes_ = o.nbytes_;
      o.data_ = nullptr, o.nbytes_ = 0;
    }
    return *this;
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  void* data() const { return data_; }
  float* floats() const { return static_cast<float*>(data_); }
  size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
};

}  // namespace learner
