// Dropout: reserves one generator counter per element, applies the mask, and recomputes the
// same mask in the backward from (seed, first counter).
#include "framework/ops/dropout.h"

#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/dropout.h"

namespace learner {

namespace {

Tensor apply_mask(const Tensor& in, float p, float scale, uint64_t seed, uint64_t first) {
  Tensor out = Tensor::empty(in.shape(), DType::F32, in.device());
  if (in.device().is_cuda()) {
    LEARNER_CUDA_CALL("dropout", dropout_cuda(out.data<float>(), in.data<float>(), in.numel(), p,
                                              scale, seed, first, stream_for(in.device())));
  } else {
    dropout_cpu(out.data<float>(), in.data<float>(), in.numel(), p, scale, seed, first);
  }
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training, Generator& generator) {
  LEARNER_NVTX_RANGE("dropout");
  check_dtype(x, DType::F32, "dropout", "x");
  LEARNER_CHECK(p >= 0.f && p < 1.f, "dropout: probability p must lie in [0, 1), got ", p);
  if (!training || p == 0.f) return x;
  const uint64_t seed = generator.seed();
  const uint64_t first = generator.reserve(static_cast<uint64_t>(x.numel()));
  const float scale = 1.f / (1.f - p);
  Tensor out = apply_mask(x, p, scale, seed, first);
  return record(out, "dropout", {x}, [p, scale, seed, first](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{apply_mask(g, p, scale, seed, first)};
  });
}

}  // namespace learner
