// Reading and writing safetensors files (the public format: 8-byte little-endian header
// length, a JSON header mapping names to dtype/shape/data_offsets plus optional
// "__metadata__", then the raw little-endian bytes). Our own small implementation that
// validates everything it reads: a corrupt file is a clear error, never a crash.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace learner {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  NamedTensors tensors;  // host tensors, in data-offset order
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;
};

// Throws learner::Error naming the file and the problem (truncated, bad header, offsets
// outside the data or overlapping, unknown dtype, shape/size mismatch).
SafetensorsFile read_safetensors(const std::string& path);

// Writes atomically: a temporary file in the same folder, fsync, then rename, so a crash
// never leaves a half-written file under `path`. Tensors may live on any device.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace learner
