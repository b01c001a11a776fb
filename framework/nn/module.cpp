// Module bookkeeping: names, modes and device moves.
#include "framework/nn/module.h"

#include <algorithm>

namespace learner::nn {

void Module::register_parameter(const std::string& name, Tensor* tensor) {
  tensor->set_requires_grad(true);
  parameters_.emplace_back(name, tensor);
}

void Module::register_buffer(const std::string& name, Tensor* tensor, Placement placement) {
  buffers_.emplace_back(name, tensor);
  if (placement == Placement::Host) host_buffers_.push_back(tensor);
}

std::vector<NamedTensor> Module::named_parameters(const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (auto& [name, t] : parameters_) out.emplace_back(prefix + name, t);
  for (auto& [name, child] : children_) {
    auto sub = child->named_parameters(name.empty() ? prefix : prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<NamedTensor> Module::named_buffers(const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (auto& [name, t] : buffers_) out.emplace_back(prefix + name, t);
  for (auto& [name, child] : children_) {
    auto sub = child->named_buffers(name.empty() ? prefix : prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<Tensor*> Module::parameters() {
  std::vector<Tensor*> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (Tensor* t : parameters()) n += t->numel();
  return n;
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (auto& [name, child] : children_) child->apply(fn);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(Device device) {
  for (auto& [name, t] : parameters_) {
    if (t->device() == device) continue;
    *t = t->to(device);
    t->set_requires_grad(true);
  }
  for (auto& [name, t] : buffers_) {
    const bool host = std::find(host_buffers_.begin(), host_buffers_.end(), t) != host_buffers_.end();
    if (!host) *t = t->to(device);
  }
  for (auto& [name, child] : children_) child->to(device);
}

void Module::zero_grad() {
  for (Tensor* t : parameters()) t->zero_grad();
}

}  // namespace learner::nn
