// Adam and SGD: per-step scalars on the host, one fused update kernel per parameter.
#include "framework/optim/optimizer.h"

#include <cmath>

#include "framework/nvtx.h"
#include "base/runtime.h"
#include "kernels/elementwise.h"
#include "kernels/optimizer_update.h"

namespace learner::optim {

Optimizer::Optimizer(std::vector<Tensor*> params, float lr) : params_(std::move(params)), lr_(lr) {
  for (size_t i = 0; i < params_.size(); ++i)
    LEARNER_CHECK(params_[i]->defined() && params_[i]->dtype() == DType::F32,
                  "optimizer: parameter ", i, " must be a defined f32 tensor");
}

void Optimizer::zero_grad() {
  for (Tensor* p : params_) p->zero_grad();
}

namespace {
void check_grad(const Tensor& p, const Tensor& g, size_t index) {
  LEARNER_CHECK(g.shape() == p.shape() && g.device() == p.device(), "optimizer: gradient of parameter ",
                index, " is ", g.describe(), " but the parameter is ", p.describe());
}
}  // namespace

Adam::Adam(std::vector<Tensor*> params, const AdamOptions& options, std::vector<bool> decays)
    : Optimizer(std::move(params), options.lr), options_(options), decays_(std::move(decays)) {
  if (decays_.empty()) decays_.assign(params_.size(), true);
  LEARNER_CHECK(decays_.size() == params_.size(), "adam: ", decays_.size(), " weight-decay flags for ",
                params_.size(), " parameters");
  for (Tensor* p : params_) {
    exp_avg_.push_back(Tensor::zeros(p->shape(), DType::F32, p->device()));
    exp_avg_sq_.push_back(Tensor::zeros(p->shape(), DType::F32, p->device()));
  }
}

void Adam::step() {
  LEARNER_NVTX_RANGE("adam_step");
  ++steps_;
  // Bias corrections in double, as PyTorch computes them from Python floats.
  const double t = static_cast<double>(steps_);
  AdamScalars s;
  s.beta1 = options_.beta1;
  s.beta2 = options_.beta2;
  s.eps = options_.eps;
  s.step_size = static_cast<float>(lr_ / (1.0 - std::pow(static_cast<double>(options_.beta1), t)));
  s.bias_correction2_sqrt =
      static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(options_.beta2), t)));
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = *params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    check_grad(p, g, i);
    // Moving a model after building the optimizer would leave the state behind.
    if (exp_avg_[i].device() != p.device()) {
      exp_avg_[i] = exp_avg_[i].to(p.device());
      exp_avg_sq_[i] = exp_avg_sq_[i].to(p.device());
    }
    const float decay = decays_[i] ? options_.weight_decay : 0.f;
    const bool decoupled = options_.decay == WeightDecay::Decoupled;
    s.weight_decay = decoupled ? 0.f : decay;
    if (decoupled && decay != 0.f) {
      // PyTorch computes 1 - lr * weight_decay in double, then scales in float.
      const auto shrink = static_cast<float>(1.0 - static_cast<double>(lr_) * static_cast<double>(decay));
      if (p.device().is_cuda()) {
        LEARNER_CUDA_CALL("adamw", scale_cuda(p.data<float>(), shrink, p.data<float>(), p.numel(),
                                              stream_for(p.device())));
      } else {
        scale_cpu(p.data<float>(), shrink, p.data<float>(), p.numel());
      }
    }
    if (p.device().is_cuda()) {
      LEARNER_CUDA_CALL("adam", adam_step_cuda(p.data<float>(), exp_avg_[i].data<float>(),
                                               exp_avg_sq_[i].data<float>(), g.data<float>(),
                                               p.numel(), s, stream_for(p.device())));
    } else {
      adam_step_cpu(p.data<float>(), exp_avg_[i].data<float>(), exp_avg_sq_[i].data<float>(),
                    g.data<float>(), p.numel(), s);
    }
  }
}

std::vector<std::pair<std::string, Tensor*>> Adam::state() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back(std::to_string(i) + ".exp_avg", &exp_avg_[i]);
    out.emplace_back(std::to_string(i) + ".exp_avg_sq", &exp_avg_sq_[i]);
  }
  return out;
}

Sgd::Sgd(std::vector<Tensor*> params, const SgdOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  for (Tensor* p : params_) {
    momentum_.push_back(options.momentum != 0.f ? Tensor::zeros(p->shape(), DType::F32, p->device())
                                                : Tensor());
    has_momentum_.push_back(false);
  }
}

void Sgd::step() {
  LEARNER_NVTX_RANGE("sgd_step");
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = *params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    check_grad(p, g, i);
    SgdScalars s{lr_, options_.momentum, options_.weight_decay, !has_momentum_[i]};
    float* buf = nullptr;
    if (momentum_[i].defined()) {
      if (momentum_[i].device() != p.device()) momentum_[i] = momentum_[i].to(p.device());
      buf = momentum_[i].data<float>();
      has_momentum_[i] = true;
    }
    if (p.device().is_cuda()) {
      LEARNER_CUDA_CALL("sgd", sgd_step_cuda(p.data<float>(), buf, g.data<float>(), p.numel(), s,
                                             stream_for(p.device())));
    } else {
      sgd_step_cpu(p.data<float>(), buf, g.data<float>(), p.numel(), s);
    }
  }
}

void Sgd::set_steps_taken(int64_t steps) {
  steps_ = steps;
  for (size_t i = 0; i < has_momentum_.size(); ++i) has_momentum_[i] = steps > 0 && momentum_[i].defined();
}

std::vector<std::pair<std::string, Tensor*>> Sgd::state() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (size_t i = 0; i < params_.size(); ++i)
    if (momentum_[i].defined()) out.emplace_back(std::to_string(i) + ".momentum_buffer", &momentum_[i]);
  return out;
}

}  // namespace learner::optim
