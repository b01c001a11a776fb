// Per-device stream and library handles, created once and owned for the process lifetime.
#include "base/cuda/context.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "base/cuda/check.h"
#include "base/runtime.h"

namespace learner::cuda {

namespace {

// Owns the handles of one device; destroyed at exit in reverse order of creation.
struct OwnedContext {
  Context ctx;
  explicit OwnedContext(int device) {
    ctx.device = device;
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking));
    CUDNN_CHECK(cudnnCreate(&ctx.cudnn));
    CUDNN_CHECK(cudnnSetStream(ctx.cudnn, ctx.stream));
    CUBLAS_CHECK(cublasCreate(&ctx.cublas));
    CUBLAS_CHECK(cublasSetStream(ctx.cublas, ctx.stream));
    // Atomics make some cuBLAS routines order-dependent; deterministic mode forbids them.
    CUBLAS_CHECK(cublasSetAtomicsMode(
        ctx.cublas, deterministic() ? CUBLAS_ATOMICS_NOT_ALLOWED : CUBLAS_ATOMICS_ALLOWED));
  }
  ~OwnedContext() {
    // Errors at teardown (e.g. the driver already shutting down) cannot be reported usefully.
    cublasDestroy(ctx.cublas);
    cudnnDestroy(ctx.cudnn);
    cudaStreamDestroy(ctx.stream);
  }
  OwnedContext(const OwnedContext&) = delete;
  OwnedContext& operator=(const OwnedContext&) = delete;
};

std::mutex g_mutex;
std::vector<std::unique_ptr<OwnedContext>> g_contexts;

}  // namespace

Context& context(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const int count = cuda_device_count();
  LEARNER_CHECK(device >= 0 && device < count, "cuda:", device, " does not exist (", count,
                " CUDA device(s) visible)");
  if (g_contexts.size() < static_cast<size_t>(count)) g_contexts.resize(count);
  if (!g_contexts[device]) g_contexts[device] = std::make_unique<OwnedContext>(device);
  CUDA_CHECK(cudaSetDevice(device));
  return g_contexts[device]->ctx;
}

Context& context_of(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& owned : g_contexts) {
    if (!owned || owned->ctx.stream != stream) continue;
    CUDA_CHECK(cudaSetDevice(owned->ctx.device));
    return owned->ctx;
  }
  LEARNER_ASSERT(false, "context_of: the stream ", static_cast<const void*>(stream),
                 " is not the stream of any device (launchers take stream_for(device))");
  std::abort();  // not reached: LEARNER_ASSERT aborts
}

}  // namespace learner::cuda

namespace learner {

int cuda_device_count() {
  int count = 0;
  // No driver or no device is a normal answer here: it means "run on the CPU".
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later checks do not see it
    return 0;
  }
  return count;
}

cudaStream_t stream_for(const Device& device) {
  if (device.is_cpu()) return nullptr;
  return cuda::context(device.index).stream;
}

void synchronize(const Device& device) {
  if (device.is_cpu()) return;
  CUDA_CHECK(cudaStreamSynchronize(cuda::context(device.index).stream));
}

}  // namespace learner
