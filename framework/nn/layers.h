// The standard layers, each a thin Module over one framework op, initialised as PyTorch
// initialises them and named as PyTorch names their tensors.
#pragma once

#include <functional>

#include "framework/nn/module.h"
#include "framework/ops/conv.h"
#include "framework/ops/pool.h"
#include "framework/random.h"

namespace learner::nn {

struct Conv2dOptions {
  int kernel = 3;
  int stride = 1;
  int padding = 0;
  int dilation = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(int in_channels, int out_channels, const Conv2dOptions& options,
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Tensor weight;  // (out, in, k, k)
  Tensor bias;    // (out), undefined without bias
 private:
  Conv2dParams params_;
};

// The normalisation a BatchNorm2d runs: batch_norm2d by default; data-parallel training
// swaps in a synchronised one (dist::sync_batch_norm2d) with the same signature.
using BatchNormFunction = std::function<Tensor(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                               Tensor& running_mean, Tensor& running_var, bool training,
                                               float momentum, float eps)>;

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f);
  Tensor forward(const Tensor& x) override;
  void set_norm_function(BatchNormFunction fn) { norm_ = std::move(fn); }
  Tensor weight, bias;                 // (C), ones and zeros
  Tensor running_mean, running_var;    // (C), zeros and ones
  Tensor num_batches_tracked;          // i64 scalar, as PyTorch's state_dict has it
 private:
  float eps_, momentum_;
  BatchNormFunction norm_;
};

class Linear : public Module {
 public:
  Linear(int in_features, int out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Tensor weight;  // (out, in)
  Tensor bias;    // (out)
};

// LayerNorm over the last dimension (torch.nn.LayerNorm(D, eps)): weight ones, bias zeros.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int features, float eps = 1e-5f);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // (D)
 private:
  float eps_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(int kernel, int stride, int padding = 0);
  Tensor forward(const Tensor& x) override;
 private:
  Pool2dParams params_;
};

class Dropout : public Module {
 public:
  explicit Dropout(float p, Generator& gen = default_generator()) : p_(p), gen_(gen) {}
  Tensor forward(const Tensor& x) override;
 private:
  float p_;
  Generator& gen_;
};

// Children named "0", "1", ... applied in order, as torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential& add(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  Module& at(size_t i) { return *layers_.at(i); }
 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace learner::nn
