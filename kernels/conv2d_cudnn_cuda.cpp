// conv2d on CUDA through cuDNN's legacy convolution API: RAII descriptors, one algorithm per
// (shape, direction, mode) chosen once and cached, workspaces from the caching allocator.
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
#include <map>
#include <mutex>
#include <vector>

#include "base/cuda/allocator.h"
#include "base/cuda/check.h"
#include "base/cuda/context.h"
#include "base/runtime.h"
#include "kernels/conv2d.h"

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
  size_t workspace_bytes = 0;
};

// Geometry, direction, device and mode: everything the choice depends on.
using Key = std::array<int64_t, 16>;

Key make_key(const Conv2dGeometry& g, Direction d, int device) {
  return {g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
          g.dilation_h, g.dilation_w, static_cast<int64_t>(d), device, deterministic()};
}

std::mutex g_cache_mutex;
std::map<Key, Choice> g_cache;

template <typename Perf>
size_t largest_workspace(const std::vector<Perf>& perf, int count) {
  size_t bytes = 0;
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspaceBytes)
      bytes = std::max(bytes, perf[i].memory);
  return bytes;
}

bool is_tensor_op(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// The first acceptable entry of cuDNN's ranking (best first).
template <typename Perf>
Choice pick(const std::vector<Perf>& perf, int count, size_t max_workspace,
            const Conv2dGeometry& g, Direction d) {
  const bool det = deterministic();
  for (int i = 0; i < count; ++i) {
    const Perf& r = perf[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > max_workspace) continue;
    if (det && (r.determinism != CUDNN_DETERMINISTIC || is_tensor_op(r.mathType))) continue;
    // Deterministic mode keeps FMA math even where cuDNN reports an entry as DEFAULT_MATH.
    return Choice{static_cast<int>(r.algo), det ? CUDNN_FMA_MATH : r.mathType, r.memory};
  }
  throw Error(str("conv2d: cuDNN offers no ", det ? "deterministic " : "", direction_name(d),
                  " algorithm within a ", max_workspace, "-byte workspace for x (", g.N, ", ", g.C,
                  ", ", g.H, ", ", g.W, "), weight (", g.K, ", ", g.C, ", ", g.R, ", ", g.S,
                  "); try set_deterministic(false)"));
}

Choice choose_forward(cudnnHandle_t h, const ConvDescriptors& d, float* y, const float* x,
                      const float* w, const Conv2dGeometry& g, int device) {
  int max_count = 0, count = 0;
  CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max_count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(max_count);
  CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.get(), d.w.get(), d.conv.get(),
                                                     d.y.get(), max_count, &count, perf.data()));
  Choice c;
  if (deterministic()) {
    c = pick(perf, count, kMaxWorkspaceBytes, g, Direction::Forward);
  } else {
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        h, d.x.get(), x, d.w.get(), w, d.conv.get(), d.y.get(), y, max_count, &count, perf.data(),
        ws.data(), ws.nbytes()));
    c = pick(perf, count, ws.nbytes(), g, Direction::Forward);
  }
  // The size the call itself will ask for, with the math type it will run with.
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
  CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
      h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
      static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), &c.workspace_bytes));
  return c;
}

Choice choose_backward_data(cudnnHandle_t h, const ConvDescriptors& d, float* dx, const float* dy,
                            const float* w, const Conv2dGeometry& g, int device) {
  int max_count = 0, count = 0;
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max_count));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(max_count);
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
      h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), max_count, &count, perf.data()));
  Choice c;
  if (deterministic()) {
    c = pick(perf, count, kMaxWorkspaceBytes, g, Direction::BackwardData);
  } else {
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        h, d.w.get(), w, d.y.get(), dy, d.conv.get(), d.x.get(), dx, max_count, &count,
        perf.data(), ws.data(), ws.nbytes()));
    c = pick(perf, count, ws.nbytes(), g, Direction::BackwardData);
  }
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
  CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
      h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), &c.workspace_bytes));
  return c;
}

Choice choose_backward_filter(cudnnHandle_t h, const ConvDescriptors& d, float* dw,
                              const float* dy, const float* x, const Conv2dGeometry& g,
                              int device) {
  int max_count = 0, count = 0;
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max_count));
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(max_count);
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
      h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), max_count, &count, perf.data()));
  Choice c;
  if (deterministic()) {
    c = pick(perf, count, kMaxWorkspaceBytes, g, Direction::BackwardFilter);
  } else {
    cuda::DeviceBuffer ws(largest_workspace(perf, count), device);
    CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        h, d.x.get(), x, d.y.get(), dy, d.conv.get(), d.w.get(), dw, max_count, &count,
        perf.data(), ws.data(), ws.nbytes()));
    c = pick(perf, count, ws.nbytes(), g, Direction::BackwardFilter);
  }
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
  CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
      h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), &c.workspace_bytes));
  return c;
}

// The cached choice for `key`, or choose() once. choose() runs outside the lock (Find launches
// kernels); if two threads race, both choices are valid and the first stored one is kept.
template <typename ChooseFn>
Choice cached_choice(const Key& key, ChooseFn choose) {
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    auto it = g_cache.find(key);
    if (it != g_cache.end()) return it->second;
  }
  const Choice choice = choose();
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  return g_cache.emplace(key, choice).first->second;
}

}  // namespace

void conv2d_forward_cuda(float* y, const float* x, const float* w, const float* b,
                         const Conv2dGeometry& g, cudaStream_t stream) {
  cuda::Context& ctx = cuda::context_of(stream);
  ConvDescriptors d(g, requested_math());
  const Choice c = cached_choice(make_key(g, Direction::Forward, ctx.device), [&] {
    return choose_forward(ctx.cudnn, d, y, x, w, g, ctx.device);
  });
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
  cuda::DeviceBuffer ws(c.workspace_bytes, ctx.device);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, d.x.get(), x, d.w.get(), w, d.conv.get(),
                                      static_cast<cudnnConvolutionFwdAlgo_t>(c.algo),
                                      ws.data(), ws.nbytes(), &zero, d.y.get(), y));
  if (b) CUDNN_CHECK(cudnnAddTensor(ctx.cudnn, &one, d.bias.get(), b, &one, d.y.get(), y));
}

void conv2d_backward_cuda(float* dx, float* dw, float* db, const float* dy, const float* x,
                          const float* w, const Conv2dGeometry& g, cudaStream_t stream) {
  cuda::Context& ctx = cuda::context_of(stream);
  ConvDescriptors d(g, requested_math());
  const float one = 1.f, zero = 0.f;
  // A plain reduction; not among the routines cuDNN lists as non-reproducible.
  if (db) CUDNN_CHECK(cudnnConvolutionBackwardBias(ctx.cudnn, &one, d.y.get(), dy, &zero,
                                                   d.bias.get(), db));
  if (dx) {
    const Choice c = cached_choice(make_key(g, Direction::BackwardData, ctx.device), [&] {
      return choose_backward_data(ctx.cudnn, d, dx, dy, w, g, ctx.device);
    });
    CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
    cuda::DeviceBuffer ws(c.workspace_bytes, ctx.device);
    CUDNN_CHECK(cudnnConvolutionBackwardData(
        ctx.cudnn, &one, d.w.get(), w, d.y.get(), dy, d.conv.get(),
        static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws.data(), ws.nbytes(), &zero,
        d.x.get(), dx));
  }
  if (dw) {
    const Choice c = cached_choice(make_key(g, Direction::BackwardFilter, ctx.device), [&] {
      return choose_backward_filter(ctx.cudnn, d, dw, dy, x, g, ctx.device);
    });
    CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math));
    cuda::DeviceBuffer ws(c.workspace_bytes, ctx.device);
    CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        ctx.cudnn, &one, d.x.get(), x, d.y.get(), dy, d.conv.get(),
        static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), ws.data(), ws.nbytes(), &zero,
        d.w.get(), dw));
  }
}

}  // namespace learner
