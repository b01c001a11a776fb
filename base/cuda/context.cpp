// Per-device stream and library handles, created once and owned for the process lifetime.
#include "base/cuda/context.h"

#include <cstdlib>
#include <string>
#include <mutex>
#include <vector>

#include "base/cuda/check.h"
#include "base/runtime.h"

namespace learner::cuda {

namespace {

// The contexts are never destroyed. Static destructors run after the CUDA runtime has begun
// its own teardown (it registers its atexit handler when first used, i.e. after ours), and
// destroying handles then fails or crashes inside the libraries; the driver releases
// streams, handles and memory when the process ends.
std::mutex g_mutex;
std::vector<Context*>& contexts() {
  static auto* all = new std::vector<Context*>();  // intentionally leaked, see above
  return *all;
}

Context* make_context(int device) {
  auto* ctx = new Context();  // owned by contexts() for the process lifetime
  ctx->device = device;
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  return ctx;
}

cublasAtomicsMode_t wanted_atomics() {
  return deterministic() ? CUBLAS_ATOMICS_NOT_ALLOWED : CUBLAS_ATOMICS_ALLOWED;
}

// cudaGetDeviceCount's answer, asked once: the count and, on failure, the runtime's reason.
struct DeviceCount {
  int count = 0;
  cudaError_t error = cudaSuccess;
};
const DeviceCount& device_count_answer() {
  static const DeviceCount answer = [] {
    DeviceCount a;
    a.error = cudaGetDeviceCount(&a.count);
    if (a.error != cudaSuccess) {
      a.count = 0;
      cudaGetLastError();  // clear the sticky error so later checks do not see it
    }
    return a;
  }();
  return answer;
}

}  // namespace

Context& context(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const int count = cuda_device_count();
  LEARNER_CHECK(device >= 0 && device < count, "cuda:", device, " does not exist (", count,
                " CUDA device(s) visible)");
  std::vector<Context*>& all = contexts();
  if (all.size() < static_cast<size_t>(count)) all.resize(count, nullptr);
  if (all[device] == nullptr) all[device] = make_context(device);
  CUDA_CHECK(cudaSetDevice(device));
  return *all[device];
}

Context& context_of(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (Context* ctx : contexts()) {
    if (ctx == nullptr || ctx->stream != stream) continue;
    CUDA_CHECK(cudaSetDevice(ctx->device));
    return *ctx;
  }
  LEARNER_ASSERT(false, "context_of: the stream ", static_cast<const void*>(stream),
                 " is not the stream of any device (launchers take stream_for(device))");
  std::abort();  // not reached: LEARNER_ASSERT aborts
}

cudnnHandle_t cudnn_handle(Context& ctx) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (ctx.cudnn == nullptr) {
    cudnnHandle_t handle = nullptr;
    CUDNN_CHECK(cudnnCreate(&handle));
    const cudnnStatus_t bound = cudnnSetStream(handle, ctx.stream);
    if (bound != CUDNN_STATUS_SUCCESS) {
      cudnnDestroy(handle);
      fail("cuDNN", "cudnnSetStream(handle, ctx.stream)", cudnnGetErrorString(bound), __FILE__, __LINE__);
    }
    ctx.cudnn = handle;
  }
  return ctx.cudnn;
}

cublasHandle_t cublas_handle(Context& ctx) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (ctx.cublas == nullptr) {
    cublasHandle_t handle = nullptr;
    CUBLAS_CHECK(cublasCreate(&handle));
    const cublasStatus_t bound = cublasSetStream(handle, ctx.stream);
    if (bound != CUBLAS_STATUS_SUCCESS) {
      cublasDestroy(handle);
      fail("cuBLAS", "cublasSetStream(handle, ctx.stream)", cublas_error_text(bound), __FILE__, __LINE__);
    }
    ctx.cublas = handle;
    CUBLAS_CHECK(cublasSetAtomicsMode(ctx.cublas, wanted_atomics()));
    ctx.cublas_atomics = wanted_atomics();
  }
  if (ctx.cublas_atomics != wanted_atomics()) {
    CUBLAS_CHECK(cublasSetAtomicsMode(ctx.cublas, wanted_atomics()));
    ctx.cublas_atomics = wanted_atomics();
  }
  return ctx.cublas;
}

}  // namespace learner::cuda

namespace learner {

// No driver or no device is a normal answer here: it means "run on the CPU".
int cuda_device_count() { return cuda::device_count_answer().count; }

std::string cuda_unavailable_reason() {
  const cuda::DeviceCount& a = cuda::device_count_answer();
  if (a.error != cudaSuccess)
    return str("cudaGetDeviceCount failed: ", cudaGetErrorName(a.error), " (",
               cudaGetErrorString(a.error), ")");
  if (a.count == 0) return "cudaGetDeviceCount reports 0 devices";
  return "";
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
