// Host memory for tensors and kernel scratch buffers: 64-byte aligned (a cache line; enough
// for AVX-512 loads).
#pragma once

#include <cstddef>

namespace learner {

// Returns at least `nbytes` bytes (nbytes may be 0); throws learner::Error when out of memory.
void* host_allocate(size_t nbytes);
// Gives back what host_allocate returned for the same `nbytes` (nullptr is ignored).
void host_release(void* data, size_t nbytes);

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
