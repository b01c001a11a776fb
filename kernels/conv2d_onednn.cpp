// The fast CPU convolution: oneDNN (Debian's libdnnl 2.6, the library PyTorch's CPU
// convolutions use), with the same contract as the im2col reference in conv2d.cpp.
//
// Our tensors are plain NCHW / OIHW. Each primitive is created with format "any", so oneDNN
// picks its blocked layouts (nChw16c, OIhw16i16o on AVX-512); the inputs are reordered into
// them and the outputs back, as PyTorch does for plain tensors. Primitive descriptors and
// primitives are built once per geometry and kept (a JIT kernel costs milliseconds to make).
//
// Errors: the C++ API checks the status of every C call it wraps and throws dnnl::error;
// each entry point turns that into learner::Error naming the op, the geometry and the status.
//
// Determinism: convolution_direct only (no Winograd), one stream; for a fixed thread count
// oneDNN splits the work the same way every time, so results repeat to the bit
// (tests/test_conv2d_onednn.cpp). Different thread counts may round differently, since the
// weight gradient is reduced over per-thread partial sums.
#include "kernels/conv2d_onednn.h"

#ifdef LEARNER_WITH_DNNL

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <tuple>

#include "base/error.h"
#include "base/host_allocator.h"

namespace learner {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The oneDNN shapes of one convolution. oneDNN counts dilation from 0 (1 = one gap), and
// takes the right padding explicitly; P = (H + pl + pr - span) / stride + 1 holds with pr = pad
// since it rounds down as our formula does.
struct DnnlShapes {
  memory::dims src, weights, dst, bias, strides, dilates, pad_l, pad_r;
};

DnnlShapes shapes_of(const Conv2dGeometry& g) {
  return {{g.N, g.C, g.H, g.W},           {g.K, g.C, g.R, g.S},     {g.N, g.K, g.P, g.Q},
          {g.K},                          {g.stride_h, g.stride_w}, {g.dilation_h - 1, g.dilation_w - 1},
          {g.pad_h, g.pad_w},             {g.pad_h, g.pad_w}};
}

memory::desc any_layout(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::any); }

using GeometryKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int,
                               int, int, int, int, int, bool>;

GeometryKey key_of(const Conv2dGeometry& g, bool bias) {
  return {g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
          g.dilation_h, g.dilation_w, bias};
}

// What one geometry needs, made on first use. The mutex serialises executions of these
// primitives (their scratchpads are owned by the library), so calls from several threads
// are safe.
struct Plan {
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data::primitive_desc backward_data_pd;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights::primitive_desc backward_weights_pd;
  dnnl::convolution_backward_weights backward_weights;
  std::mutex mutex;
};

Plan& plan_for(const Conv2dGeometry& g, bool bias, bool need_backward) {
  static std::mutex cache_mutex;
  static std::map<GeometryKey, std::unique_ptr<Plan>> cache;
  std::lock_guard<std::mutex> lock(cache_mutex);
  std::unique_ptr<Plan>& plan = cache[key_of(g, bias)];
  const DnnlShapes d = shapes_of(g);
  const auto direct = dnnl::algorithm::convolution_direct;
  if (!plan) {
    plan = std::make_unique<Plan>();
    const dnnl::convolution_forward::desc desc =
        bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct,
                                               any_layout(d.src), any_layout(d.weights),
                                               memory::desc(d.bias, dt::f32, tag::x), any_layout(d.dst),
                                               d.strides, d.dilates, d.pad_l, d.pad_r)
             : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct,
                                               any_layout(d.src), any_layout(d.weights),
                                               any_layout(d.dst), d.strides, d.dilates, d.pad_l,
                                               d.pad_r);
    plan->forward_pd = dnnl::convolution_forward::primitive_desc(desc, cpu_engine());
    plan->forward = dnnl::convolution_forward(plan->forward_pd);
  }
  if (need_backward && !plan->backward_data) {
    const dnnl::convolution_backward_data::desc data_desc(direct, any_layout(d.src), any_layout(d.weights),
                                                          any_layout(d.dst), d.strides, d.dilates,
                                                          d.pad_l, d.pad_r);
    plan->backward_data_pd =
        dnnl::convolution_backward_data::primitive_desc(data_desc, cpu_engine(), plan->forward_pd);
    plan->backward_data = dnnl::convolution_backward_data(plan->backward_data_pd);
    const dnnl::convolution_backward_weights::desc weights_desc(
        direct, any_layout(d.src), any_layout(d.weights), any_layout(d.dst), d.strides, d.dilates,
        d.pad_l, d.pad_r);
    plan->backward_weights_pd = dnnl::convolution_backward_weights::primitive_desc(
        weights_desc, cpu_engine(), plan->forward_pd);
    plan->backward_weights = dnnl::convolution_backward_weights(plan->backward_weights_pd);
  }
  return *plan;
}

// A tensor as one primitive wants it: the caller's plain buffer when the layouts agree,
// otherwise a buffer of the primitive's layout (from the host caching allocator).
class Operand {
 public:
  // `plain` is the caller's buffer in layout `plain_tag`; `wanted` what the primitive takes.
  Operand(float* plain, const memory::dims& dims, tag plain_tag, const memory::desc& wanted)
      : plain_(memory::desc(dims, dt::f32, plain_tag), cpu_engine(), plain) {
    if (wanted == plain_.get_desc()) {
      used_ = plain_;
    } else {
      buffer_ = HostBuffer(wanted.get_size());
      used_ = memory(wanted, cpu_engine(), buffer_.data());
    }
  }
  bool reordered() const { return buffer_.data() != nullptr; }
  const memory& get() const { return used_; }
  // Input: fill the primitive's layout from the plain buffer.
  void load(dnnl::stream& stream) {
    if (reordered()) dnnl::reorder(plain_, used_).execute(stream, plain_, used_);
  }
  // Output: write the primitive's result back to the plain buffer.
  void store(dnnl::stream& stream) {
    if (reordered()) dnnl::reorder(used_, plain_).execute(stream, used_, plain_);
  }

 private:
  memory plain_, used_;
  HostBuffer buffer_;
};

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

[[noreturn]] void rethrow(const char* op, const Conv2dGeometry& g, const dnnl::error& e) {
  throw Error(str(op, ": oneDNN failed (status ", static_cast<int>(e.status), ": ", e.what(),
                  ") for x (", g.N, ", ", g.C, ", ", g.H, ", ", g.W, "), weight (", g.K, ", ", g.C, ", ",
                  g.R, ", ", g.S, "), stride (", g.stride_h, ", ", g.stride_w, "), padding (", g.pad_h,
                  ", ", g.pad_w, "), dilation (", g.dilation_h, ", ", g.dilation_w,
                  "); LEARNER_CPU_CONV=reference selects the reference kernel"));
}

}  // namespace

bool conv2d_onednn_built() { return true; }

void conv2d_forward_onednn(float* y, const float* x, const float* w, const float* b,
                           const Conv2dGeometry& g) {
  try {
    Plan& plan = plan_for(g, b != nullptr, false);
    std::lock_guard<std::mutex> lock(plan.mutex);
    const DnnlShapes d = shapes_of(g);
    const auto& pd = plan.forward_pd;
    dnnl::stream& stream = cpu_stream();
    // oneDNN takes non-const handles; inputs are only read.
    Operand src(const_cast<float*>(x), d.src, tag::nchw, pd.src_desc());
    Operand weights(const_cast<float*>(w), d.weights, tag::oihw, pd.weights_desc());
    Operand dst(y, d.dst, tag::nchw, pd.dst_desc());
    src.load(stream);
    weights.load(stream);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, src.get()}, {DNNL_ARG_WEIGHTS, weights.get()}, {DNNL_ARG_DST, dst.get()}};
    if (b) args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), cpu_engine(), const_cast<float*>(b)));
    plan.forward.execute(stream, args);
    dst.store(stream);
    stream.wait();
  } catch (const dnnl::error& e) {
    rethrow("conv2d (oneDNN forward)", g, e);
  }
}

void conv2d_backward_onednn(float* dx, float* dw, const float* dy, const float* x, const float* w,
                            const Conv2dGeometry& g) {
  if (!dx && !dw) return;
  try {
    Plan& plan = plan_for(g, false, true);
    std::lock_guard<std::mutex> lock(plan.mutex);
    const DnnlShapes d = shapes_of(g);
    dnnl::stream& stream = cpu_stream();
    if (dx) {
      const auto& pd = plan.backward_data_pd;
      Operand diff_dst(const_cast<float*>(dy), d.dst, tag::nchw, pd.diff_dst_desc());
      Operand weights(const_cast<float*>(w), d.weights, tag::oihw, pd.weights_desc());
      Operand diff_src(dx, d.src, tag::nchw, pd.diff_src_desc());
      diff_dst.load(stream);
      weights.load(stream);
      plan.backward_data.execute(stream, {{DNNL_ARG_DIFF_DST, diff_dst.get()},
                                          {DNNL_ARG_WEIGHTS, weights.get()},
                                          {DNNL_ARG_DIFF_SRC, diff_src.get()}});
      diff_src.store(stream);
      stream.wait();
    }
    if (dw) {
      const auto& pd = plan.backward_weights_pd;
      Operand src(const_cast<float*>(x), d.src, tag::nchw, pd.src_desc());
      Operand diff_dst(const_cast<float*>(dy), d.dst, tag::nchw, pd.diff_dst_desc());
      Operand diff_weights(dw, d.weights, tag::oihw, pd.diff_weights_desc());
      src.load(stream);
      diff_dst.load(stream);
      plan.backward_weights.execute(stream, {{DNNL_ARG_SRC, src.get()},
                                             {DNNL_ARG_DIFF_DST, diff_dst.get()},
                                             {DNNL_ARG_DIFF_WEIGHTS, diff_weights.get()}});
      diff_weights.store(stream);
      stream.wait();
    }
  } catch (const dnnl::error& e) {
    rethrow("conv2d_backward (oneDNN)", g, e);
  }
}

}  // namespace learner

#else  // built without oneDNN: the dispatcher never calls these (conv2d_onednn_built() is false)

#include "base/error.h"

namespace learner {

bool conv2d_onednn_built() { return false; }

void conv2d_forward_onednn(float*, const float*, const float*, const float*, const Conv2dGeometry&) {
  throw Error("conv2d: this build has no oneDNN (apt-get install libdnnl-dev, then reconfigure)");
}

void conv2d_backward_onednn(float*, float*, const float*, const float*, const float*,
                            const Conv2dGeometry&) {
  throw Error("conv2d: this build has no oneDNN (apt-get install libdnnl-dev, then reconfigure)");
}

}  // namespace learner

#endif
