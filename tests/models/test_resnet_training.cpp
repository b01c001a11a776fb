// ResNet-18 trains on the CPU: one Adam step lowers the loss on the same batch, and a
// second run from the same seed gives identical bits. On CUDA every parameter's gradient of
// the first step matches the CPU's (a wrong backward kernel in one layer would not show in
// the loss after one Adam step, which normalises gradient magnitudes away).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "models/resnet.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
struct StepResult {
  float loss_before, loss_after;
  std::vector<float> fc_weight;
  std::vector<std::pair<std::string, std::vector<float>>> grads;  // every parameter, by name
};

StepResult train_one_step(Device device) {
  Generator gen(123);
  models::ResNet18 net(models::ResNetOptions{3, 4}, gen);
  net.to(device);
  net.train();
  Tensor x = test::random_tensor({4, 3, 32, 32}, 77, -1.f, 1.f, device);
  Tensor target = Tensor::from_vector<int64_t>({0, 1, 2, 3}, {4}, device);
  optim::AdamOptions o;
  o.lr = 1e-3f;
  optim::Adam adam(net.parameters(), o);
  Tensor loss = cross_entropy(net(x), target);
  const float before = loss.item();
  loss.backward();
  std::vector<std::pair<std::string, std::vector<float>>> grads;
  for (auto& [name, param] : net.named_parameters()) grads.emplace_back(name, param->grad().to_vector());
  adam.step();
  adam.zero_grad();
  const float after = cross_entropy(net(x), target).item();
  return {before, after, net.fc->weight.to_vector(), std::move(grads)};
}
}  // namespace

TEST_CASE("resnet18 training step on the CPU lowers the loss and repeats to the bit") {
  const StepResult first = train_one_step(Device::cpu());
  CHECK(first.loss_after < first.loss_before);
  const StepResult second = train_one_step(Device::cpu());
  CHECK(first.loss_before == second.loss_before);
  CHECK(first.loss_after == second.loss_after);
  CHECK(first.fc_weight == second.fc_weight);
}

TEST_CASE("resnet18 training step on CUDA matches the CPU [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const StepResult cpu = train_one_step(Device::cpu());
  const StepResult gpu = train_one_step(Device::cuda(0));
  CHECK(gpu.loss_before == doctest::Approx(cpu.loss_before).epsilon(1e-4));
  CHECK(gpu.loss_after == doctest::Approx(cpu.loss_after).epsilon(1e-3));
  // Every gradient, by the norm of its difference: float32 sums in another order (cuDNN,
  // cuBLAS) differ by ~1e-6 relative per layer; a wrong kernel differs by order 1.
  REQUIRE(gpu.grads.size() == cpu.grads.size());
  for (size_t p = 0; p < cpu.grads.size(); ++p) {
    const auto& name = cpu.grads[p].first;  // not a structured binding: clang 14 cannot capture one
    const auto& ref = cpu.grads[p].second;
    const std::vector<float>& got = gpu.grads[p].second;
    REQUIRE_MESSAGE(gpu.grads[p].first == name, "parameter order differs at ", p);
    REQUIRE(got.size() == ref.size());
    double diff = 0, norm = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      diff += (double(got[i]) - ref[i]) * (double(got[i]) - ref[i]);
      norm += double(ref[i]) * ref[i];
    }
    const double rel = std::sqrt(diff) / std::max(std::sqrt(norm), 1e-12);
    CHECK_MESSAGE(rel <= 1e-3, name, ": gradient relative error ", rel, " (|grad| ", std::sqrt(norm), ")");
  }
  const StepResult gpu_again = train_one_step(Device::cuda(0));
  CHECK(gpu.fc_weight == gpu_again.fc_weight);  // deterministic mode: same bits
}
