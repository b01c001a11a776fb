// The temporal shift op: argument checks, NVTX range, device dispatch and the backward
// closure (the backward of a shift is the opposite shift).
#include "framework/ops/temporal_shift.h"

#include "base/runtime.h"
#include "framework/autograd.h"
#include "framework/nvtx.h"
#include "kernels/temporal_shift.h"

namespace learner {

namespace {

struct ShiftSizes {
  int64_t B, T, C, HW, fold;
};

Tensor shift(const Tensor& in, const ShiftSizes& z, bool forward) {
  Tensor out = Tensor::empty(in.shape(), DType::F32, in.device());
  if (in.device().is_cuda()) {
    if (forward) {
      LEARNER_CUDA_CALL("temporal_shift",
                        temporal_shift_forward_cuda(out.data<float>(), in.data<float>(), z.B, z.T,
                                                    z.C, z.HW, z.fold, ShiftKernel::Auto,
                                                    stream_for(in.device())));
    } else {
      LEARNER_CUDA_CALL("temporal_shift_backward",
                        temporal_shift_backward_cuda(out.data<float>(), in.data<float>(), z.B, z.T,
                                                     z.C, z.HW, z.fold, ShiftKernel::Auto,
                                                     stream_for(in.device())));
    }
  } else if (forward) {
    temporal_shift_forward_cpu(out.data<float>(), in.data<float>(), z.B, z.T, z.C, z.HW, z.fold);
  } else {
    temporal_shift_backward_cpu(out.data<float>(), in.data<float>(), z.B, z.T, z.C, z.HW, z.fold);
  }
  return out;
}

}  // namespace

Tensor temporal_shift(const Tensor& x, int64_t T, int64_t fold_div) {
  LEARNER_NVTX_RANGE("temporal_shift");
  check_dtype(x, DType::F32, "temporal_shift", "x");
  check_rank(x, 4, "temporal_shift", "x");
  LEARNER_CHECK(T >= 1 && x.size(0) % T == 0, "temporal_shift: x ", x.describe(),
                " must be (B*T, C, H, W) with T = ", T, " frames per clip");
  LEARNER_CHECK(fold_div >= 2,
                "temporal_shift: fold_div must be >= 2 (two groups of C / fold_div "
                "channels shift), got ",
                fold_div);
  const ShiftSizes z{x.size(0) / T, T, x.size(1), x.size(2) * x.size(3), x.size(1) / fold_div};
  Tensor out = shift(x, z, /*forward=*/true);
  return record(out, "temporal_shift", {x}, [z](const Tensor& g, const NeedsGrad&) {
    LEARNER_NVTX_RANGE("temporal_shift_backward");
    return std::vector<Tensor>{shift(g, z, /*forward=*/false)};
  });
}

}  // namespace learner
