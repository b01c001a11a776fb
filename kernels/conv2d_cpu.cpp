// conv2d on the CPU: picks oneDNN or the im2col reference (kernels/conv2d.h explains when).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/error.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_onednn.h"

namespace learner {

namespace {

Conv2dCpuBackend backend_from_environment() {
  const char* text = std::getenv("LEARNER_CPU_CONV");
  if (text == nullptr || *text == '\0')
    return conv2d_onednn_built() ? Conv2dCpuBackend::OneDnn : Conv2dCpuBackend::Reference;
  if (std::strcmp(text, "reference") == 0) return Conv2dCpuBackend::Reference;
  if (std::strcmp(text, "onednn") == 0) {
    LEARNER_CHECK(conv2d_onednn_built(), "LEARNER_CPU_CONV=onednn, but this build has no oneDNN "
                                         "(apt-get install libdnnl-dev and reconfigure, or unset it)");
    return Conv2dCpuBackend::OneDnn;
  }
  throw Error(str("LEARNER_CPU_CONV='", text, "' is not a CPU convolution backend: use reference or onednn"));
}

// -1 until first read; then the Conv2dCpuBackend value.
std::atomic<int> selected{-1};

}  // namespace

Conv2dCpuBackend conv2d_cpu_backend() {
  int value = selected.load();
  if (value < 0) {
    value = static_cast<int>(backend_from_environment());
    selected.store(value);
  }
  return static_cast<Conv2dCpuBackend>(value);
}

void set_conv2d_cpu_backend(Conv2dCpuBackend backend) {
  LEARNER_CHECK(backend != Conv2dCpuBackend::OneDnn || conv2d_onednn_built(),
                "conv2d: this build has no oneDNN (apt-get install libdnnl-dev, then reconfigure)");
  selected.store(static_cast<int>(backend));
}

const char* conv2d_cpu_backend_name() {
  return conv2d_cpu_backend() == Conv2dCpuBackend::OneDnn ? "oneDNN"
                                                          : "im2col + OpenBLAS sgemm (reference)";
}

void conv2d_forward_cpu(float* y, const float* x, const float* w, const float* b,
                        const Conv2dGeometry& g) {
  if (conv2d_cpu_backend() == Conv2dCpuBackend::OneDnn)
    conv2d_forward_onednn(y, x, w, b, g);
  else
    conv2d_forward_reference(y, x, w, b, g);
}

void conv2d_backward_cpu(float* dx, float* dw, float* db, const float* dy, const float* x,
                         const float* w, const Conv2dGeometry& g) {
  if (conv2d_cpu_backend() == Conv2dCpuBackend::Reference) {
    conv2d_backward_reference(dx, dw, db, dy, x, w, g);
    return;
  }
  // The bias gradient stays the reference's per-channel float64 sum (no bias in ResNet convs).
  if (db) conv2d_backward_reference(nullptr, nullptr, db, dy, nullptr, nullptr, g);
  conv2d_backward_onednn(dx, dw, dy, x, w, g);
}

}  // namespace learner
