// NVTX ranges around framework ops, so Nsight timelines show "conv2d", "relu", ... above
// the kernels they launched. Compiled out without CUDA or with LEARNER_NVTX=OFF.
#pragma once

#ifdef LEARNER_WITH_NVTX
#include <nvtx3/nvToolsExt.h>

namespace learner {
class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};
}  // namespace learner

#define LEARNER_NVTX_CONCAT2(a, b) a##b
#define LEARNER_NVTX_CONCAT(a, b) LEARNER_NVTX_CONCAT2(a, b)
#define LEARNER_NVTX_RANGE(name) ::learner::NvtxRange LEARNER_NVTX_CONCAT(nvtx_range_, __LINE__)(name)
#else
#define LEARNER_NVTX_RANGE(name) ((void)0)
#endif
