// A module's state as named tensors (PyTorch's state_dict names and order), and loading
// it back with every mismatch reported by name: missing, unexpected, wrong dtype or shape.
#pragma once

#include <string>

#include "framework/nn/module.h"
#include "framework/safetensors.h"

namespace learner::nn {

// Parameters then buffers of each module, depth first, names prefixed.
NamedTensors state_dict(Module& module, const std::string& prefix = "");

enum class MissingTensors { Error, Allow };

// Copies the tensors named prefix + name from `source` into the module (on the module's
// devices). BatchNorm's num_batches_tracked may be absent (SPEC section 8). Tensors in
// `source` under `prefix` that the module lacks are an error, as are dtype or shape
// mismatches; the message names the tensor, what the model expects and what was found.
// `origin` (a file name) prefixes every message.
void load_state_dict(Module& module, const SafetensorsFile& source, const std::string& prefix,
                     const std::string& origin, MissingTensors missing = MissingTensors::Error);

}  // namespace learner::nn
