// Modules: PyTorch names, parameter counts, modes, initialisation bounds.
#include <cmath>
#include <set>

#include "framework/nn/layers.h"
#include "models/resnet.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("sequential names its children 0, 1, ...") {
  Generator gen(1);
  nn::Sequential seq;
  seq.add(std::make_shared<nn::Linear>(6, 4, true, gen));
  seq.add(std::make_shared<nn::ReLU>());
  seq.add(std::make_shared<nn::Linear>(4, 1, true, gen));
  std::vector<std::string> names;
  for (auto& [name, t] : seq.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq.parameter_count() == 6 * 4 + 4 + 4 + 1);
  for (Tensor* t : seq.parameters()) CHECK(t->requires_grad());
}

TEST_CASE("default Linear and Conv2d init stays inside PyTorch's bound") {
  Generator gen(2);
  nn::Linear lin(50, 7, true, gen);
  const float bound = 1.f / std::sqrt(50.f);
  for (float v : lin.weight.to_vector()) REQUIRE(std::fabs(v) <= bound);
  for (float v : lin.bias.to_vector()) REQUIRE(std::fabs(v) <= bound);
  nn::Conv2dOptions o;
  o.kernel = 3;
  nn::Conv2d conv(4, 5, o, gen);
  const float cbound = 1.f / std::sqrt(4.f * 9.f);
  for (float v : conv.weight.to_vector()) REQUIRE(std::fabs(v) <= cbound);
}

TEST_CASE("resnet18 has torchvision's names and parameter count") {
  Generator gen(3);
  models::ResNet18 with_fc(models::ResNetOptions{3, 1000}, gen);
  CHECK(with_fc.parameter_count() == 11689512);
  models::ResNet18 encoder(models::ResNetOptions{3, 0}, gen);
  CHECK(encoder.parameter_count() == 11176512);

  std::set<std::string> names;
  for (auto& [name, t] : with_fc.named_parameters()) names.insert(name);
  for (auto& [name, t] : with_fc.named_buffers()) names.insert(name);
  for (const char* expected : {"conv1.weight", "bn1.weight", "bn1.running_var", "bn1.num_batches_tracked",
                               "layer1.0.conv1.weight", "layer1.1.bn2.bias",
                               "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean",
                               "layer4.1.conv2.weight", "fc.weight", "fc.bias"})
    CHECK_MESSAGE(names.count(expected) == 1, expected);
  CHECK(names.count("layer1.0.downsample.0.weight") == 0);
  // torchvision's state_dict has 122 parameters/buffers for resnet18 (62 + 60).
  CHECK(with_fc.named_parameters().size() + with_fc.named_buffers().size() == 122);
}

TEST_CASE("train and eval propagate to children") {
  models::ResNet18 net(models::ResNetOptions{1, 0});
  net.eval();
  CHECK_FALSE(net.layer3->training());
  CHECK_FALSE(net.blocks()[5]->bn1->training());
  net.train();
  CHECK(net.blocks()[5]->bn1->training());
}

TEST_CASE("module moves to the GPU and back [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  Generator gen(4);
  nn::Linear lin(5, 3, true, gen);
  const std::vector<float> w = lin.weight.to_vector();
  lin.to(Device::cuda(0));
  CHECK(lin.weight.device() == Device::cuda(0));
  CHECK(lin.weight.requires_grad());
  lin.to(Device::cpu());
  CHECK(lin.weight.to_vector() == w);
}
