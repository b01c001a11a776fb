// Layer construction (shapes and initialisation) and forward passes.
#include "framework/nn/layers.h"

#include "framework/nn/init.h"
#include "framework/ops/batchnorm.h"
#include "framework/ops/dropout.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/layer_norm.h"
#include "framework/ops/linear.h"

namespace learner::nn {

Conv2d::Conv2d(int in_channels, int out_channels, const Conv2dOptions& options, Generator& gen) {
  LEARNER_CHECK(in_channels > 0 && out_channels > 0 && options.kernel > 0,
                "Conv2d: channels and kernel must be positive, got in ", in_channels, ", out ",
                out_channels, ", kernel ", options.kernel);
  params_.stride_h = params_.stride_w = options.stride;
  params_.pad_h = params_.pad_w = options.padding;
  params_.dilation_h = params_.dilation_w = options.dilation;
  weight = Tensor::empty({out_channels, in_channels, options.kernel, options.kernel});
  default_weight_init_(weight, gen);
  register_parameter("weight", &weight);
  if (options.bias) {
    bias = Tensor::empty({out_channels});
    default_bias_init_(bias, weight, gen);
    register_parameter("bias", &bias);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, params_); }

BatchNorm2d::BatchNorm2d(int channels, float eps, float momentum) : eps_(eps), momentum_(momentum) {
  weight = Tensor::ones({channels});
  bias = Tensor::zeros({channels});
  running_mean = Tensor::zeros({channels});
  running_var = Tensor::ones({channels});
  num_batches_tracked = Tensor::zeros({}, DType::I64);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked, Placement::Host);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (training()) {
    // A host counter (a checkpoint field, not part of the computation).
    num_batches_tracked.data<int64_t>()[0] += 1;
  }
  if (norm_) return norm_(x, weight, bias, running_mean, running_var, training(), momentum_, eps_);
  return batch_norm2d(x, weight, bias, running_mean, running_var, training(), momentum_, eps_);
}

Linear::Linear(int in_features, int out_features, bool with_bias, Generator& gen) {
  LEARNER_CHECK(in_features > 0 && out_features > 0, "Linear: sizes must be positive, got ",
                in_features, " -> ", out_features);
  weight = Tensor::empty({out_features, in_features});
  default_weight_init_(weight, gen);
  register_parameter("weight", &weight);
  if (with_bias) {
    bias = Tensor::empty({out_features});
    default_bias_init_(bias, weight, gen);
    register_parameter("bias", &bias);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

LayerNorm::LayerNorm(int features, float eps) : eps_(eps) {
  LEARNER_CHECK(features > 0, "LayerNorm: features must be positive, got ", features);
  weight = Tensor::ones({features});
  bias = Tensor::zeros({features});
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, weight, bias, eps_); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }

MaxPool2d::MaxPool2d(int kernel, int stride, int padding) {
  params_.kernel_h = params_.kernel_w = kernel;
  params_.stride_h = params_.stride_w = stride;
  params_.pad_h = params_.pad_w = padding;
}

Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, params_); }

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, training(), gen_); }

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& layer : layers_) y = layer->forward(y);
  return y;
}

}  // namespace learner::nn
