// `learner smoke`: a one-minute check that the framework trains: a ResNet-18 from scratch on
// a toy task (which quadrant of a noisy frame holds a bright blob), on the GPU when one is
// present and on the CPU otherwise, reporting held-out accuracy. (`make demo` is the paper's
// pipeline; this isolates the framework from data and tools.)
#include <chrono>
#include <cstdio>

#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"
#include "models/resnet.h"
#include "tools/commands.h"

namespace learner::tools {

namespace {

struct DemoOptions {
  std::string device = "auto";
  int steps = 60;
  int batch = 16;
  int size = 32;
  uint64_t seed = 1;
  float lr = 1e-3f;
};

// A batch of 1-channel frames: noise everywhere, plus a bright blob in quadrant `label`.
void make_batch(Generator& gen, int batch, int size, Device device, Tensor& x, Tensor& y) {
  std::vector<float> pixels(static_cast<size_t>(batch) * size * size);
  std::vector<int64_t> labels(batch);
  const int half = size / 2, blob = size / 4;
  for (int b = 0; b < batch; ++b) {
    labels[b] = gen.randint(4);
    const int top = (labels[b] / 2) * half + static_cast<int>(gen.randint(half - blob + 1));
    const int left = (labels[b] % 2) * half + static_cast<int>(gen.randint(half - blob + 1));
    float* frame = pixels.data() + static_cast<size_t>(b) * size * size;
    for (int i = 0; i < size * size; ++i) frame[i] = gen.normal(0.f, 0.5f);
    for (int r = top; r < top + blob; ++r)
      for (int c = left; c < left + blob; ++c) frame[r * size + c] += 1.5f;
  }
  x = Tensor::from_vector(pixels, {batch, 1, size, size}, device);
  y = Tensor::from_vector(labels, {batch}, device);
}

float accuracy(const Tensor& logits, const Tensor& labels) {
  const std::vector<float> l = logits.to_vector();
  const std::vector<int64_t> y = labels.to_vector<int64_t>();
  const int64_t k = logits.size(1);
  int correct = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (l[i * k + j] > l[i * k + best]) best = j;
    correct += best == y[i];
  }
  return static_cast<float>(correct) / static_cast<float>(y.size());
}

void run_demo(const DemoOptions& o) {
  const Device device = o.device == "auto" ? (cuda_available() ? Device::cuda(0) : Device::cpu())
                                           : parse_device(o.device);
  LEARNER_CHECK(o.steps > 0 && o.batch > 1 && o.size >= 16,
                "smoke: --steps must be > 0, --batch > 1 and --size >= 16");
  std::printf("learner smoke: ResNet-18 from scratch on synthetic %dx%d frames, batch %d, %d Adam "
              "steps on %s\n", o.size, o.size, o.batch, o.steps, device.str().c_str());
  Generator init(o.seed), data(o.seed + 1000);
  models::ResNet18 net(models::ResNetOptions{1, 4}, init);
  net.to(device);
  optim::AdamOptions adam_options;
  adam_options.lr = o.lr;
  optim::Adam adam(net.parameters(), adam_options);
  optim::CosineSchedule schedule{o.lr, o.steps, 0, 0.f};

  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < o.steps; ++step) {
    Tensor x, y;
    make_batch(data, o.batch, o.size, device, x, y);
    adam.set_lr(schedule.lr_at(step));
    Tensor logits = net(x);
    Tensor loss = cross_entropy(logits, y);
    loss.backward();
    adam.step();
    adam.zero_grad();
    if (step % 10 == 0 || step == o.steps - 1) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("step %4d  loss %.4f  batch acc %.2f  lr %.2e  %.1f frames/s\n", step, loss.item(),
                  accuracy(logits, y), adam.lr(), (step + 1) * o.batch / seconds);
    }
  }

  net.eval();
  NoGradGuard no_grad;
  Generator held_out(o.seed + 2000);
  Tensor x, y;
  make_batch(held_out, 256, o.size, device, x, y);
  const float acc = accuracy(net(x), y);
  std::printf("held-out accuracy on 256 new frames: %.3f (chance 0.25)\n", acc);
}

}  // namespace

void add_smoke_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("smoke", "Framework check: train a ResNet-18 on a toy task (CPU or GPU)");
  cmd->add_option("--device", options->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps", options->steps, "optimizer steps")->capture_default_str();
  cmd->add_option("--batch", options->batch, "frames per batch")->capture_default_str();
  cmd->add_option("--size", options->size, "frame height and width")->capture_default_str();
  cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
  cmd->add_option("--lr", options->lr, "initial learning rate (cosine annealed)")->capture_default_str();
  cmd->callback([options] { run_demo(*options); });
}

}  // namespace learner::tools
