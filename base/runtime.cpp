// Runtime controls: the CPU side, and what a build without CUDA answers.
#include "base/runtime.h"

#include "base/error.h"

namespace learner {

namespace {
bool g_deterministic = true;
}

void set_deterministic(bool on) { g_deterministic = on; }
bool deterministic() { return g_deterministic; }

void throw_no_cuda_build(const char* op) {
  throw Error(str(op, ": this build of learner has no CUDA backend; rebuild with nvcc available "
                      "(LEARNER_CUDA=ON) or run on --device cpu"));
}

#ifndef LEARNER_WITH_CUDA
cudaStream_t stream_for(const Device&) { return nullptr; }
void synchronize(const Device& device) {
  if (device.is_cuda()) throw_no_cuda_build("synchronize");
}
#endif

}  // namespace learner
