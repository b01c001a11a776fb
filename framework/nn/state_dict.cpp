// state_dict export and checked import.
#include "framework/nn/state_dict.h"

#include <set>

namespace learner::nn {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<NamedTensor> module_tensors(Module& module, const std::string& prefix) {
  std::vector<NamedTensor> all = module.named_parameters(prefix);
  std::vector<NamedTensor> buffers = module.named_buffers(prefix);
  all.insert(all.end(), buffers.begin(), buffers.end());
  return all;
}
}  // namespace

NamedTensors state_dict(Module& module, const std::string& prefix) {
  NamedTensors out;
  for (auto& [name, t] : module_tensors(module, prefix)) out.emplace_back(name, *t);
  return out;
}

// Two passes: validate all names, dtypes and shapes, then copy.
void load_state_dict(Module& module, const SafetensorsFile& source, const std::string& prefix,
                     const std::string& origin, MissingTensors missing) {
  std::set<std::string> expected;
  std::vector<std::string> absent;
  for (auto& [name, target] : module_tensors(module, prefix)) {
    expected.insert(name);
    const Tensor* found = source.find(name);
    if (found == nullptr) {
      if (!ends_with(name, "num_batches_tracked") && missing == MissingTensors::Error) absent.push_back(name);
      continue;
    }
    LEARNER_CHECK(found->dtype() == target->dtype() && found->shape() == target->shape(), origin,
                  ": tensor '", name, "' has ", dtype_name(found->dtype()), shape_str(found->shape()),
                  " but the model expects ", dtype_name(target->dtype()), shape_str(target->shape()),
                  " (a checkpoint of another model or input size?)");
  }
  if (!absent.empty()) {
    std::string list;
    for (size_t i = 0; i < absent.size() && i < 8; ++i) list += (i ? ", " : "") + absent[i];
    if (absent.size() > 8) list += str(", ... (", absent.size(), " in all)");
    throw Error(str(origin, ": missing tensors the model needs: ", list));
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : source.tensors)
    if (name.compare(0, prefix.size(), prefix) == 0 && expected.count(name) == 0) unexpected.push_back(name);
  if (!unexpected.empty()) {
    std::string list;
    for (size_t i = 0; i < unexpected.size() && i < 8; ++i) list += (i ? ", " : "") + unexpected[i];
    if (unexpected.size() > 8) list += str(", ... (", unexpected.size(), " in all)");
    throw Error(str(origin, ": tensors the model does not have: ", list));
  }
  // Everything checked: only now touch the model, so a bad file leaves it as it was.
  for (auto& [name, target] : module_tensors(module, prefix)) {
    const Tensor* found = source.find(name);
    if (found != nullptr)
      copy_bytes(target->raw_data(), target->device(), found->raw_data(), found->device(), found->nbytes());
  }
}

}  // namespace learner::nn
