// A caching allocator for device memory: blocks freed by tensors go back to a per-device
// pool keyed by rounded size and are handed out again without cudaMalloc/cudaFree.
// All framework work on a device runs on its one stream, so a block freed there can be
// reused by the next op on that stream without waiting (the same rule as PyTorch's).
#pragma once

#include <cstddef>

namespace learner::cuda {

void* allocate(size_t nbytes, int device);
void release(void* ptr, size_t nbytes, int device);

struct AllocatorStats {
  size_t in_use_bytes = 0;   // held by live tensors
  size_t cached_bytes = 0;   // free blocks kept for reuse
  size_t peak_bytes = 0;     // highest in_use_bytes seen
  size_t device_mallocs = 0; // cudaMalloc calls so far
};
AllocatorStats allocator_stats(int device);

// Device scratch memory owned for one scope (e.g. a cuDNN workspace): taken from the cache
// on construction, handed back on destruction. Zero bytes holds no block.
class DeviceBuffer {
 public:
  DeviceBuffer(size_t nbytes, int device)
      : data_(nbytes ? allocate(nbytes, device) : nullptr), nbytes_(nbytes), device_(device) {}
  ~DeviceBuffer() { release(data_, nbytes_, device_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

 private:
  void* data_;
  size_t nbytes_;
  int device_;
};

// Returns every cached block to the driver (e.g. before handing the GPU to another library).
void empty_cache(int device);

// Exact-size mode, for compute-sanitizer runs (scripts/gpu-check): every block is exactly
// the requested size and is handed back to the driver on release instead of being cached,
// so an access past the end of a tensor or to a freed tensor lands outside any allocation
// and memcheck reports it (a rounded, cached block would hide both). Slow: every release
// waits for the device. LEARNER_CUDA_ALLOC_EXACT=1 in the environment turns it on at start;
// switching needs no blocks in use (a block's size must be rounded the same way twice).
void set_exact_allocation(bool on);
bool exact_allocation();

}  // namespace learner::cuda
