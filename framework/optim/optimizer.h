// Optimizers update parameters in place from their .grad; parameters with no gradient
// this step are left alone (as PyTorch does). State tensors are named for checkpoints.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace learner::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor*> params, float lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps_taken() const { return steps_; }
  // Restoring a checkpoint: the optimizer continues as if it had taken `steps` steps.
  virtual void set_steps_taken(int64_t steps) { steps_ = steps; }

  // Per-parameter state, named "<index>.<field>" (e.g. "3.exp_avg"), for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;

 protected:
  std::vector<Tensor*> params_;
  float lr_;
  int64_t steps_ = 0;
};

// How weight decay enters Adam: L2 adds weight_decay * param to the gradient (torch.optim.Adam);
// Decoupled first shrinks the parameter, param *= 1 - lr * weight_decay, then takes the plain
// Adam step (torch.optim.AdamW, Loshchilov & Hutter).
enum class WeightDecay { L2, Decoupled };

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.f;
  WeightDecay decay = WeightDecay::L2;
};

// Adam with PyTorch's bias correction; the update is one fused kernel per parameter.
// `decays` says per parameter whether weight decay applies (empty: to all), as a PyTorch
// param group with weight_decay 0 does for the rest.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor*> params, const AdamOptions& options = AdamOptions(),
       std::vector<bool> decays = {});
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> state() override;

 private:
  AdamOptions options_;
  std::vector<bool> decays_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
};

struct SgdOptions {
  float lr = 1e-2f;
  float momentum = 0.f;
  float weight_decay = 0.f;
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Tensor*> params, const SgdOptions& options = SgdOptions());
  void step() override;
  std::vector<std::pair<std::string, Tensor*>> state() override;
  void set_steps_taken(int64_t steps) override;  // restored buffers are no longer "first"

 private:
  SgdOptions options_;
  std::vector<Tensor> momentum_;
  std::vector<bool> has_momentum_;
};

}  // namespace learner::optim
