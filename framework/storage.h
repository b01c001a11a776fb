// Raw bytes owned on one device: host memory (64-byte aligned) from the host caching
// allocator (base/host_allocator.h) or device memory from the CUDA caching allocator. Tensors share a Storage; views keep it alive.
#pragma once

#include <cstddef>

#include "base/device.h"

namespace learner {

class Storage {
 public:
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
};

// Copies bytes between any two devices, in the order of the device's stream; returns after
// the copy is complete whenever the destination or source is host memory.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

// Sets bytes to zero on any device (stream-ordered on CUDA).
void zero_bytes(void* dst, Device device, size_t nbytes);

}  // namespace learner
