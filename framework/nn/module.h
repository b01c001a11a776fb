// Module: a node of a network holding named parameters, buffers and child modules, with
// PyTorch-style dotted names ("layer1.0.conv1.weight") and train/eval mode.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace learner::nn {

using NamedTensor = std::pair<std::string, Tensor*>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Parameters (trainable) and buffers (running statistics, counters), in registration
  // order, depth first: the order of PyTorch's state_dict.
  std::vector<NamedTensor> named_parameters(const std::string& prefix = "");
  std::vector<NamedTensor> named_buffers(const std::string& prefix = "");
  std::vector<Tensor*> parameters();
  int64_t parameter_count();

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }

  // Calls fn on this module and every descendant, depth first (e.g. to reconfigure layers).
  void apply(const std::function<void(Module&)>& fn);

  // Moves every parameter and buffer to `device` (a copy; requires_grad is kept).
  void to(Device device);
  void zero_grad();

 protected:
  // Registers a member tensor; the module must outlive the registration (members do).
  void register_parameter(const std::string& name, Tensor* tensor);
  // A host buffer stays on the CPU when the module moves (a counter the host updates,
  // such as BatchNorm's num_batches_tracked, so that updating it never syncs a GPU).
  enum class Placement { FollowModule, Host };
  void register_buffer(const std::string& name, Tensor* tensor,
                       Placement placement = Placement::FollowModule);
  // A child registered under the empty name adds no name component: its tensors appear as
  // the parent's own (how a clip encoder wraps its backbone and keeps the backbone's names).
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<Tensor*> host_buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace learner::nn
