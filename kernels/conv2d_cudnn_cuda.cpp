// conv2d on CUDA through cuDNN's legacy convolution API: RAII descriptors, one algorithm per
// (shape, direction, mode) chosen once and cached, workspaces from the caching allocator.
//
// Fall-back. cuDNN's ranking is a list of candidates, not a promise: an entry can still fail
// its workspace query or its launch (not supported for this layout, workspace not
// allocatable). Each fresh choice tries the accepted candidates in ranked order and caches
// the first one that ran; a candidate that failed is never cached.
//
// Algorithm choice. Deterministic mode (learner::deterministic()) takes cuDNN's heuristic
// ranking (cudnnGet*_v7), which depends only on the shape and the GPU, keeping the algorithms
// flagged CUDNN_DETERMINISTIC: a second run picks the same algorithm and repeats to the bit.
// Otherwise cudnnFind*Ex times every algorithm on the real buffers and the fastest wins;
// timing noise may pick another algorithm in another run, which is why it is not used in
// deterministic mode.
//
// Math type. CUDNN_DEFAULT_MATH lets cuDNN run f32 convolutions on TF32 tensor cores on
// Ampere and newer (inputs rounded to 10 mantissa bits, ~1e-3 relative error); only
// CUDNN_FMA_MATH rules that out. Deterministic mode uses CUDNN_FMA_MATH so that results are
// full f32 and comparable with the CPU reference; the fast mode allows TF32.
//
// Everything runs on the caller's stream: cuda::context_of(stream).cudnn is bound to it.
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/cuda/allocator.h"
#include "base/cuda/check.h"
#include "base/cuda/context.h"
#include "base/runtime.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_cudnn.h"

namespace learner {

namespace {

// Largest workspace an algorithm may ask for; algorithms wanting more are skipped.
constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

// Owns one cuDNN descriptor from creation to destruction.
template <typename Desc, cudnnStatus_t (*Create)(Desc*), cudnnStatus_t (*Destroy)(Desc)>
class Owned {
 public:
  Owned() { CUDNN_CHECK(Create(&desc_)); }
  ~Owned() { Destroy(desc_); }  // destroying a valid descriptor cannot fail usefully
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Desc get() const { return desc_; }

 private:
  Desc desc_ = nullptr;
};

using TensorDesc =
    Owned<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc =
    Owned<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = Owned<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                       cudnnDestroyConvolutionDescriptor>;

int as_int(int64_t v) {
  LEARNER_CHECK(v <= INT_MAX, "conv2d: size ", v, " is too large for cuDNN's int dimensions");
  return static_cast<int>(v);
}

// The descriptors of one convolution: x (N, C, H, W), w (K, C, R, S), y and dy (N, K, P, Q),
// bias and db (1, K, 1, 1). Members are created before the body sets them, so a failing set
// still destroys them.
struct ConvDescriptors {
  TensorDesc x, y, bias;
  FilterDesc w;
  ConvDesc conv;

  ConvDescriptors(const Conv2dGeometry& g, cudnnMathType_t math) {
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                           as_int(g.N), as_int(g.C), as_int(g.H), as_int(g.W)));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                           as_int(g.N), as_int(g.K), as_int(g.P), as_int(g.Q)));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1,
                                           as_int(g.K), 1, 1));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                           as_int(g.K), as_int(g.C), as_int(g.R), as_int(g.S)));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv.get(), g.pad_h, g.pad_w, g.stride_h,
                                                g.stride_w, g.dilation_h, g.dilation_w,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionMathType(conv.get(), math));
  }
};

cudnnMathType_t requested_math() { return deterministic() ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH; }

enum class Direction { Forward, BackwardData, BackwardFilter };

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::Forward: return "forward";
    case Direction::BackwardData: return "backward-data";
    case Direction::BackwardFilter: return "backward-filter";
  }
  return "?";
}

// One cached decision; algo holds the cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t value.
struct Choice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

// Geometry, direction, device and mode: everything the choice depends on.
using Key = std::array<int64_t, 16>;

Key make_key(const Conv2dGeometry& g, Direction d, int device) {
  return {g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
          g.dilation_h, g.dilation_w, static_cast<int64_t>(d), device, deterministic()};
}

std::mutex g_cache_mutex;
std::map<Key, Choice> g_cache;
int64_t g_failed_candidates = 0;
int g_reject_first = 0;  // test hook, conv2d_cudnn_reject_first_candidates

bool is_tensor_op(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

template <typename Perf>
size_t largest_workspace(const std::vector<Perf>& perf, int count) {
  size_t bytes = 0;
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspaceBytes)
      bytes = std::max(bytes, perf[i].memory);
  return bytes;
}

// The entries of cuDNN's ranking (best first) that this mode accepts, in that order.
template <typename Perf>
std::vector<Choice> acceptable(const std::vector<Perf>& perf, int count, size_t max_workspace) {
  const bool det = deterministic();
  std::vector<Choice> out;
  for (int i = 0; i < count; ++i) {
    const Perf& r = perf[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > max_workspace) continue;
    if (det && (r.determinism != CUDNN_DETERMINISTIC || is_tensor_op(r.mathType))) continue;
    // Deterministic mode keeps FMA math even where cuDNN reports an entry as DEFAULT_MATH.
    out.push_back(Choice{static_cast<int>(r.algo), det ? CUDNN_FMA_MATH : r.mathType});
  }
  return out;
}

// One direction of the convolution: how cuDNN ranks its algorithms, and how one runs.
// rank() uses the heuristics in deterministic mode and times every algorithm on the real
// buffers (Find) otherwise; workspace() and run() return cuDNN's status instead of throwing,
// so that a failing candidate can give way to the next.
struct DirectionCalls {
  std::function<std::vector<Choice>()> rank;
  std::function<cudnnStatus_t(int algo, size_t* bytes)> workspace;
  std::function<cudnnStatus_t(int algo, void* ws, size_t ws_bytes)> run;
};

Error no_candidate_ran(const Conv2dGeometry& g, Direction d, const std::string& tried) {
  return Error(str("conv2d: no cuDNN ", deterministic() ? "deterministic " : "", direction_name(d),
                   " algorithm ran for x (", g.N, ", ", g.C, ", ", g.H, ", ", g.W, "), weight (",
                   g.K, ", ", g.C, ", ", g.R, ", ", g.S, ")",
                   tried.empty() ? std::string(" (cuDNN ranked none within the workspace limit)")
                                 : str("; tried", tried),
                   deterministic() ? "; try set_deterministic(false)" : ""));
}

// Runs the cached choice for `key`, or tries the ranked candidates in order and caches the
// first that ran. The choice is made outside the cache lock (Find launches kernels); if two
// threads race, both ran and the first stored one is kept.
void run_direction(const Key& key, const ConvDescriptors& d, const Conv2dGeometry& g,
                   Direction dir, int device, const DirectionCalls& calls) {
  std::optional<Choice> cached;
  int reject_first = 0;
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    auto it = g_cache.find(key);
    if (it != g_cache.end()) cached = it->second;
    reject_first = g_reject_first;
  }
  if (cached) {
    size_t bytes = 0;
    CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), cached->math));
    CUDNN_CHECK(calls.workspace(cached->algo, &bytes));
    cuda::DeviceBuffer ws(bytes, device);
    CUDNN_CHECK(calls.run(cached->algo, ws.data(), ws.nbytes()));
    return;
  }
  const std::vector<Choice> candidates = calls.rank();
  std::string tried;
  int64_t failed = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Choice& c = candidates[i];
    cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
    std::string why;
    if (static_cast<int>(i) < reject_first) {
      why = "rejected by the test hook";
    } else {
      size_t bytes = 0;
      status = cudnnSetConvolutionMathType(d.conv.get(), c.math);
      if (status == CUDNN_STATUS_SUCCESS) status = calls.workspace(c.algo, &bytes);
      if (status == CUDNN_STATUS_SUCCESS && bytes > kMaxWorkspaceBytes) {
        why = str("wants a ", bytes, "-byte workspace");
      } else if (status == CUDNN_STATUS_SUCCESS) {
        try {
          cuda::DeviceBuffer ws(bytes, device);
          status = calls.run(c.algo, ws.data(), ws.nbytes());
        } catch (const Error& e) {  // the workspace could not be allocated
          why = e.what();
        }
      }
      if (status == CUDNN_STATUS_SUCCESS && why.empty()) {
        std::lock_guard<std::mutex> lock(g_cache_mutex);
        g_failed_candidates += failed;
        g_cache.emplace(key, c);
        return;
      }
      if (why.empty()) why = cudnnGetErrorString(status);
    }
    ++failed;
    tried += str(" algo ", c.algo, " (", why, ")");
  }
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    g_failed_candidates += failed;
  }
  throw no_candidate_ran(g, dir, tried);
}

DirectionCalls forward_calls(cudnnHandle_t h, const ConvDescriptors& d, float* y, const float* x,
                             const float* w, int device) {
  DirectionCalls calls;
  calls.rank = [=, &d] {
    int max_count = 0, count = 0;
    CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max_count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(max_count);
    CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.get(), d.w.get(), d.conv.get(),
                                                       d.y.get(), max_count, &count, perf.data()));
    if (deterministic()) return acceptable(perf, count, kMaxWorkspaceBytes);
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        h, d.x.get(), x, d.w.get(), w, d.conv.get(), d.y.get(), y, max_count, &count, perf.data(),
        ws.data(), ws.nbytes()));
    return acceptable(perf, count, ws.nbytes());
  };
  calls.workspace = [=, &d](int algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(),
                                                   d.y.get(),
                                                   static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
  };
  calls.run = [=, &d](int algo, void* ws, size_t ws_bytes) {
    const float one = 1.f, zero = 0.f;
    return cudnnConvolutionForward(h, &one, d.x.get(), x, d.w.get(), w, d.conv.get(),
                                   static_cast<cudnnConvolutionFwdAlgo_t>(algo), ws, ws_bytes,
                                   &zero, d.y.get(), y);
  };
  return calls;
}

DirectionCalls backward_data_calls(cudnnHandle_t h, const ConvDescriptors& d, float* dx,
                                   const float* dy, const float* w, int device) {
  DirectionCalls calls;
  calls.rank = [=, &d] {
    int max_count = 0, count = 0;
    CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max_count));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(max_count);
    CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), max_count, &count, perf.data()));
    if (deterministic()) return acceptable(perf, count, kMaxWorkspaceBytes);
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        h, d.w.get(), w, d.y.get(), dy, d.conv.get(), d.x.get(), dx, max_count, &count,
        perf.data(), ws.data(), ws.nbytes()));
    return acceptable(perf, count, ws.nbytes());
  };
  calls.workspace = [=, &d](int algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(
        h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
        static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
  };
  calls.run = [=, &d](int algo, void* ws, size_t ws_bytes) {
    const float one = 1.f, zero = 0.f;
    return cudnnConvolutionBackwardData(h, &one, d.w.get(), w, d.y.get(), dy, d.conv.get(),
                                        static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), ws,
                                        ws_bytes, &zero, d.x.get(), dx);
  };
  return calls;
}

DirectionCalls backward_filter_calls(cudnnHandle_t h, const ConvDescriptors& d, float* dw,
                                     const float* dy, const float* x, int device) {
  DirectionCalls calls;
  calls.rank = [=, &d] {
    int max_count = 0, count = 0;
    CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max_count));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(max_count);
    CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), max_count, &count, perf.data()));
    if (deterministic()) return acceptable(perf, count, kMaxWorkspaceBytes);
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        h, d.x.get(), x, d.y.get(), dy, d.conv.get(), d.w.get(), dw, max_count, &count,
        perf.data(), ws.data(), ws.nbytes()));
    return acceptable(perf, count, ws.nbytes());
  };
  calls.workspace = [=, &d](int algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(
        h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
        static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
  };
  calls.run = [=, &d](int algo, void* ws, size_t ws_bytes) {
    const float one = 1.f, zero = 0.f;
    return cudnnConvolutionBackwardFilter(h, &one, d.x.get(), x, d.y.get(), dy, d.conv.get(),
                                          static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), ws,
                                          ws_bytes, &zero, d.w.get(), dw);
  };
  return calls;
}

}  // namespace

void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b,
                         const Conv2dGeometry& g, cudaStream_t stream) {
  cuda::Context& ctx = cuda::context_of(stream);
  cudnnHandle_t h = cuda::cudnn_handle(ctx);  // created on the first convolution
  ConvDescriptors d(g, requested_math());
  run_direction(make_key(g, Direction::Forward, ctx.device), d, g, Direction::Forward, ctx.device,
                forward_calls(h, d, y, x, w, ctx.device));
  const float one = 1.f;
  if (b) CUDNN_CHECK(cudnnAddTensor(h, &one, d.bias.get(), b, &one, d.y.get(), y));
}

void conv2d_backward_cuda(float* dx, float* dw, float* db, const float* dy, const float* x,
                          const float* w, const Conv2dGeometry& g, cudaStream_t stream) {
  cuda::Context& ctx = cuda::context_of(stream);
  cudnnHandle_t h = cuda::cudnn_handle(ctx);
  ConvDescriptors d(g, requested_math());
  const float one = 1.f, zero = 0.f;
  // A plain reduction; not among the routines cuDNN lists as non-reproducible.
  if (db) CUDNN_CHECK(cudnnConvolutionBackwardBias(h, &one, d.y.get(), dy, &zero, d.bias.get(), db));
  if (dx)
    run_direction(make_key(g, Direction::BackwardData, ctx.device), d, g, Direction::BackwardData,
                  ctx.device, backward_data_calls(h, d, dx, dy, w, ctx.device));
  if (dw)
    run_direction(make_key(g, Direction::BackwardFilter, ctx.device), d, g,
                  Direction::BackwardFilter, ctx.device,
                  backward_filter_calls(h, d, dw, dy, x, ctx.device));
}

Conv2dCudnnStats conv2d_cudnn_stats() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  return {static_cast<int64_t>(g_cache.size()), g_failed_candidates};
}

void conv2d_cudnn_clear_choices() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  g_cache.clear();
}

void conv2d_cudnn_reject_first_candidates(int n) {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  g_reject_first = n;
}

}  // namespace learner
