// Device names and parsing.
#include "base/device.h"

#include "base/error.h"

namespace learner {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string num = text.substr(5);
    bool digits = !num.empty() && num.find_first_not_of("0123456789") == std::string::npos;
    if (digits) return Device::cuda(std::stoi(num));
  }
  throw Error(str("unknown device '", text, "': use cpu, cuda or cuda:N"));
}

bool cuda_available() { return cuda_device_count() > 0; }

#ifndef LEARNER_WITH_CUDA
int cuda_device_count() { return 0; }
std::string cuda_unavailable_reason() {
  return "this build of learner has no CUDA backend (LEARNER_CUDA=OFF or no nvcc)";
}
#endif

}  // namespace learner
