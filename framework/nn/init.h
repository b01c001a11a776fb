// Parameter initialisers with PyTorch's formulas, drawing from a learner::Generator on
// the host (so a seed gives the same weights on every device).
#pragma once

#include "framework/random.h"
#include "framework/tensor.h"

namespace learner::nn {

void uniform_(Tensor& t, float lo, float hi, Generator& gen);
void normal_(Tensor& t, float mean, float std, Generator& gen);
void constant_(Tensor& t, float value);
// torch.nn.init.trunc_normal_: N(mean, std) redrawn until it falls inside [lo, hi].
void trunc_normal_(Tensor& t, float mean, float std, float lo, float hi, Generator& gen);

// fan_in = size(1) * receptive field; fan_out = size(0) * receptive field.
int64_t fan_in(const Tensor& weight);
int64_t fan_out(const Tensor& weight);

// PyTorch's default for Conv2d and Linear weights: kaiming_uniform_(a = sqrt(5)),
// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); their biases use the same bound.
void default_weight_init_(Tensor& weight, Generator& gen);
void default_bias_init_(Tensor& bias, const Tensor& weight, Generator& gen);
// torchvision's ResNet conv init: kaiming_normal_(mode = "fan_out", nonlinearity = "relu").
void kaiming_normal_fan_out_(Tensor& weight, Generator& gen);

}  // namespace learner::nn
