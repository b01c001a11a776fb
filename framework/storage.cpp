// Host and device byte storage and copies between them.
#include "framework/storage.h"

#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "base/host_allocator.h"
#include "base/runtime.h"

#ifdef LEARNER_WITH_CUDA
#include "base/cuda/allocator.h"
#include "base/cuda/check.h"
#endif

namespace learner {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = host_allocate(nbytes);  // cached: a step re-allocates the same sizes every step
  } else {
#ifdef LEARNER_WITH_CUDA
    data_ = cuda::allocate(nbytes, device.index);
#else
    throw_no_cuda_build("allocate on cuda");
#endif
  }
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    host_release(data_, nbytes_);
  } else {
#ifdef LEARNER_WITH_CUDA
    cuda::release(data_, nbytes_, device_.index);
#endif
  }
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, nbytes);
    return;
  }
#ifdef LEARNER_WITH_CUDA
  // Issue on the stream of the CUDA side, so the copy is ordered after the ops that made src.
  const Device stream_device = src_device.is_cuda() ? src_device : dst_device;
  cudaStream_t stream = stream_for(stream_device);
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device != src_device) {
    CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, nbytes, stream));
  } else {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDefault, stream));
  }
  if (dst_device.is_cpu() || src_device.is_cpu()) CUDA_CHECK(cudaStreamSynchronize(stream));
#else
  throw_no_cuda_build("copy to or from cuda");
#endif
}

void zero_bytes(void* dst, Device device, size_t nbytes) {
  if (nbytes == 0) return;
  if (device.is_cpu()) {
    std::memset(dst, 0, nbytes);
    return;
  }
#ifdef LEARNER_WITH_CUDA
  CUDA_CHECK(cudaMemsetAsync(dst, 0, nbytes, stream_for(device)));
#else
  throw_no_cuda_build("zero on cuda");
#endif
}

}  // namespace learner
