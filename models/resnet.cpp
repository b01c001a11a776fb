// ResNet-18 assembly and torchvision's initialisation (kaiming-normal fan-out convs,
// BatchNorm weight 1 / bias 0, default Linear init).
#include "models/resnet.h"

#include "framework/nn/init.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/pool.h"

namespace learner::models {

namespace {
std::shared_ptr<nn::Conv2d> make_conv(int in, int out, int kernel, int stride, int padding, Generator& gen) {
  nn::Conv2dOptions options;
  options.kernel = kernel;
  options.stride = stride;
  options.padding = padding;
  options.bias = false;
  auto conv = std::make_shared<nn::Conv2d>(in, out, options, gen);
  nn::kaiming_normal_fan_out_(conv->weight, gen);
  return conv;
}
}  // namespace

BasicBlock::BasicBlock(int in_channels, int out_channels, int stride, Generator& gen) {
  conv1 = register_module("conv1", make_conv(in_channels, out_channels, 3, stride, 1, gen));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out_channels));
  conv2 = register_module("conv2", make_conv(out_channels, out_channels, 3, 1, 1, gen));
  bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    downsample = std::make_shared<nn::Sequential>();
    downsample->add(make_conv(in_channels, out_channels, 1, stride, 0, gen));
    downsample->add(std::make_shared<nn::BatchNorm2d>(out_channels));
    register_module("downsample", downsample);
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  const Tensor branch_input = transform_ ? transform_(x) : x;
  Tensor out = relu(bn1->forward(conv1->forward(branch_input)));
  out = bn2->forward(conv2->forward(out));
  const Tensor identity = downsample ? downsample->forward(x) : x;
  return add_relu(out, identity);  // relu(out + identity), fused
}

ResNet18::ResNet18(const ResNetOptions& options, Generator& gen) {
  LEARNER_CHECK(options.in_channels > 0, "ResNet18: in_channels must be positive");
  conv1 = register_module("conv1", make_conv(options.in_channels, 64, 7, 2, 3, gen));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(64));
  maxpool = std::make_shared<nn::MaxPool2d>(3, 2, 1);
  const int widths[4] = {64, 128, 256, 512};
  std::shared_ptr<nn::Sequential>* layers[4] = {&layer1, &layer2, &layer3, &layer4};
  int in = 64;
  for (int l = 0; l < 4; ++l) {
    *layers[l] = std::make_shared<nn::Sequential>();
    const int stride = l == 0 ? 1 : 2;
    for (int b = 0; b < 2; ++b) {
      auto block = std::make_shared<BasicBlock>(in, widths[l], b == 0 ? stride : 1, gen);
      (*layers[l])->add(block);
      blocks_.push_back(block);
      in = widths[l];
    }
    register_module("layer" + std::to_string(l + 1), *layers[l]);
  }
  if (options.num_classes > 0)
    fc = register_module("fc", std::make_shared<nn::Linear>(kFeatures, options.num_classes, true, gen));
}

Tensor ResNet18::forward(const Tensor& x) {
  check_rank(x, 4, "ResNet18", "x");
  Tensor h = maxpool->forward(relu(bn1->forward(conv1->forward(x))));
  h = layer4->forward(layer3->forward(layer2->forward(layer1->forward(h))));
  h = global_avg_pool2d(h);
  return fc ? fc->forward(h) : h;
}

std::vector<std::shared_ptr<BasicBlock>> ResNet18::blocks() const { return blocks_; }

}  // namespace learner::models
