// Where a tensor lives: the host, or CUDA device n. Data never moves between devices
// unless Tensor::to() is called.
#pragma once

#include <string>

namespace learner {

enum class DeviceKind { CPU, CUDA };

struct Device {
  DeviceKind kind = DeviceKind::CPU;
  int index = 0;

  static Device cpu() { return {DeviceKind::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceKind::CUDA, index}; }
  bool is_cpu() const { return kind == DeviceKind::CPU; }
  bool is_cuda() const { return kind == DeviceKind::CUDA; }
  std::string str() const;  // "cpu" or "cuda:0"

  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// Parses "cpu", "cuda" or "cuda:N"; throws learner::Error naming the text otherwise.
Device parse_device(const std::string& text);

// True when this build has the CUDA backend and at least one GPU answers.
// Without a driver cudaGetDeviceCount fails: that means "no GPU", not an error.
bool cuda_available();
int cuda_device_count();

// Why no GPU answers, for messages: cudaGetDeviceCount's error name and text (no driver, a
// driver too old for this runtime, ...), "reports 0 devices", or that the build has no CUDA
// backend; "" when a GPU answers.
std::string cuda_unavailable_reason();

}  // namespace learner
