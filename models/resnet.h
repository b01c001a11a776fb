// ResNet-18 with torchvision's structure and tensor names (conv1, bn1, layer1.0.conv1, ...,
// layer2.0.downsample.0, fc). The residual branch of every BasicBlock can be given a
// transform applied to its input before conv1: the hook the TSM encoder uses for the
// temporal shift (SPEC section 4), leaving the identity path untouched.
#pragma once

#include <functional>
#include <memory>

#include "framework/nn/layers.h"

namespace learner::models {

using BranchInputTransform = std::function<Tensor(const Tensor&)>;

class BasicBlock : public nn::Module {
 public:
  BasicBlock(int in_channels, int out_channels, int stride, Generator& gen);
  Tensor forward(const Tensor& x) override;
  void set_branch_input_transform(BranchInputTransform transform) { transform_ = std::move(transform); }

  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2d> bn1, bn2;
  std::shared_ptr<nn::Sequential> downsample;  // null when the shapes already match

 private:
  BranchInputTransform transform_;
};

struct ResNetOptions {
  int in_channels = 3;
  int num_classes = 1000;  // 0: no fc, forward returns the pooled 512-d features
};

class ResNet18 : public nn::Module {
 public:
  explicit ResNet18(const ResNetOptions& options = ResNetOptions(), Generator& gen = default_generator());
  // x is (N, C, H, W) -> (N, num_classes), or (N, 512) without fc.
  Tensor forward(const Tensor& x) override;
  // Every block in order layer1.0, layer1.1, ..., layer4.1.
  std::vector<std::shared_ptr<BasicBlock>> blocks() const;

  static constexpr int kFeatures = 512;
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::MaxPool2d> maxpool;
  std::shared_ptr<nn::Sequential> layer1, layer2, layer3, layer4;
  std::shared_ptr<nn::Linear> fc;  // null when num_classes == 0

 private:
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
};

}  // namespace learner::models
