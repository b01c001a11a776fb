// One TSM-ResNet18 pre-training step as `learner pretrain --loss wcl` runs it: forward of
// B = 8 clips of T = 8 grayscale frames, MSE + lambda * wCL (cosine) over the batch,
// backward, Adam. On CUDA at 112 and 224 px in deterministic and fast mode (the numbers
// scripts/gpu_torch_bench.py puts beside PyTorch's); on the CPU at 32 px only, as a check
// that the step runs (a 112 px CPU step takes many seconds on 2 cores).
#include <cstdio>
#include <string>
#include <vector>

#include "base/runtime.h"
#include "bench/bench.h"
#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "framework/random.h"
#include "models/heads.h"

namespace learner::bench {

namespace {

constexpr int64_t kClips = 8, kFrames = 8;

double time_steps(Device device, int size, int warmup, int repeats) {
  Generator gen(7);
  models::EncoderOptions options;
  options.frames = kFrames;
  models::PretrainModel model(options, gen);
  model.to(device);
  model.train();
  Generator data(8);
  std::vector<float> xv(static_cast<size_t>(kClips * kFrames) * size * size), yv(kClips);
  for (float& v : xv) v = data.uniform(0.f, 1.f);
  for (float& v : yv) v = data.uniform(0.f, 1.f);
  const Tensor x = Tensor::from_vector(xv, {kClips * kFrames, 1, size, size}, device);
  const Tensor y = Tensor::from_vector(yv, {kClips}, device);
  optim::Adam adam(model.parameters());
  return median_seconds(
      [&] {
        adam.zero_grad();
        const auto out = model.run(x);
        const Tensor loss = add(mse_loss(out.prediction, y),
                                contrastive_loss(out.embedding, y, ContrastiveKind::WCL, Similarity::Cos));
        loss.backward();
        adam.step();
      },
      warmup, repeats, [&] { synchronize(device); });
}

}  // namespace

LEARNER_BENCHMARK("train_step",
                  "TSM-ResNet18 MSE + wCL pre-training step, B 8 x T 8, Adam (CUDA: 112 and 224 px)") {
  const double cpu_s = time_steps(Device::cpu(), 32, 1, 2);
  std::printf("CPU, 32 px: %.1f ms per step (median of 2)\n", cpu_s * 1e3);
  report("train_step/cpu/32", cpu_s * 1e3, "ms");
  if (!cuda_available()) {
    std::printf("CUDA variants skipped: no GPU available\n");
    return;
  }
  const bool was_deterministic = deterministic();
  std::printf("CUDA, milliseconds per step (median of 10 after 3 warm-up steps)\n");
  std::printf("  %-6s %14s %14s\n", "size", "deterministic", "fast");
  for (int size : {112, 224}) {
    set_deterministic(true);
    const double det = time_steps(Device::cuda(0), size, 3, 10);
    set_deterministic(false);  // cudnnFind, TF32 allowed, cuBLAS atomics allowed
    const double fast = time_steps(Device::cuda(0), size, 3, 10);
    std::printf("  %-6d %14.2f %14.2f\n", size, det * 1e3, fast * 1e3);
    report("train_step/" + std::to_string(size), det * 1e3, "ms");
    report("train_step/" + std::to_string(size) + "/fast", fast * 1e3, "ms");
  }
  set_deterministic(was_deterministic);
}

}  // namespace learner::bench
