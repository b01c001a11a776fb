// Benchmarks of the learner kernels: the temporal shift's bandwidth against a plain copy at the
// TSM-ResNet18 block shapes, and the contrastive loss path (distances, mining, similarity, loss,
// backward) in microseconds. CPU variants always run; CUDA variants when a GPU answers.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "framework/autograd.h"
#include "base/device.h"
#include "framework/ops/contrastive.h"
#include "framework/ops/temporal_shift.h"
#include "base/runtime.h"
#include "kernels/temporal_shift.h"

#ifdef LEARNER_WITH_CUDA
#include <cuda_runtime.h>

#include "base/cuda/check.h"
#endif

namespace learner::bench {

namespace {

struct ShiftShape {
  const char* name;
  int64_t C, H;  // the input of a BasicBlock's conv1: (B*T, C, H, H)
};

// ResNet-18 stages for 112 and 224 inputs (conv1 /2, maxpool /2, then /2 per stage).
const ShiftShape kShiftShapes[] = {
    {"layer1 @112", 64, 28},  {"layer2 @112", 128, 14}, {"layer3 @112", 256, 7},
    {"layer4 @112", 512, 4},  {"layer1 @224", 64, 56},  {"layer2 @224", 128, 28},
    {"layer3 @224", 256, 14}, {"layer4 @224", 512, 7},
};
constexpr int64_t kClips = 8, kFrames = 8;

// Bytes a shift or a copy moves: every value read once and written once.
double gbps(int64_t numel, double seconds) { return 2.0 * numel * sizeof(float) / seconds / 1e9; }

void shift_cpu() {
  std::printf("CPU, %ld clips x %ld frames, GB/s counting one read and one write per value\n",
              long(kClips), long(kFrames));
  std::printf("  %-12s %-18s %10s %10s %8s\n", "shape", "(N, C, H, W)", "memcpy", "shift",
              "copy/shift");
  for (const ShiftShape& s : kShiftShapes) {
    const int64_t N = kClips * kFrames, HW = s.H * s.H, n = N * s.C * HW;
    std::vector<float> x(n, 1.f), out(n);
    // The copy baseline gets the same threads as the shift: one memcpy per frame.
    const int64_t frame = s.C * HW;
    const double copy_s = median_seconds(
        [&] {
#pragma omp parallel for
          for (int64_t f = 0; f < N; ++f)
            std::memcpy(out.data() + f * frame, x.data() + f * frame, frame * sizeof(float));
        },
        2, 7);
    const double shift_s = median_seconds(
        [&] {
          temporal_shift_forward_cpu(out.data(), x.data(), kClips, kFrames, s.C, HW, s.C / 8);
        },
        2, 7);
    char shape[64];
    std::snprintf(shape, sizeof(shape), "(%ld, %ld, %ld, %ld)", long(N), long(s.C), long(s.H),
                  long(s.H));
    std::printf("  %-12s %-18s %10.1f %10.1f %8.2f\n", s.name, shape, gbps(n, copy_s),
                gbps(n, shift_s), copy_s / shift_s);
  }
}

#ifdef LEARNER_WITH_CUDA
void shift_cuda() {
  const Device gpu = Device::cuda(0);
  const cudaStream_t stream = stream_for(gpu);
  constexpr int kLaunches = 20;  // per timed run, so launch latency does not dominate
  std::printf("CUDA, %ld clips x %ld frames, GB/s counting one read and one write per value\n",
              long(kClips), long(kFrames));
  std::printf("  %-12s %10s %10s %10s %8s\n", "shape", "memcpy", "scalar", "vector4", "best/copy");
  for (const ShiftShape& s : kShiftShapes) {
    const int64_t N = kClips * kFrames, HW = s.H * s.H, n = N * s.C * HW, fold = s.C / 8;
    Tensor x = Tensor::full({N, s.C, s.H, s.H}, 1.f, gpu);
    Tensor out = Tensor::empty({N, s.C, s.H, s.H}, DType::F32, gpu);
    auto sync = [&] { synchronize(gpu); };
    auto time = [&](const std::function<void()>& launch) {
      return median_seconds(
                 [&] {
                   for (int r = 0; r < kLaunches; ++r) launch();
                 },
                 2, 9, sync) /
             kLaunches;
    };
    const double copy_s = time([&] {
      CUDA_CHECK(cudaMemcpyAsync(out.raw_data(), x.raw_data(), n * sizeof(float),
                                 cudaMemcpyDeviceToDevice, stream));
    });
    const double scalar_s = time([&] {
      temporal_shift_forward_cuda(out.data<float>(), x.data<float>(), kClips, kFrames, s.C, HW,
                                  fold, ShiftKernel::Scalar, stream);
    });
    const bool vec = temporal_shift_vectorizable(out.data<float>(), x.data<float>(), s.C, HW, fold);
    const double vector_s = vec ? time([&] {
      temporal_shift_forward_cuda(out.data<float>(), x.data<float>(), kClips, kFrames, s.C, HW,
                                  fold, ShiftKernel::Vector4, stream);
    })
                                : 0.0;
    const double best = vec ? std::min(scalar_s, vector_s) : scalar_s;
    char vector_text[32] = "n/a";
    if (vec) std::snprintf(vector_text, sizeof(vector_text), "%.1f", gbps(n, vector_s));
    std::printf("  %-12s %10.1f %10.1f %10s %8.2f\n", s.name, gbps(n, copy_s), gbps(n, scalar_s),
                vector_text, copy_s / best);
    report(std::string("shift/") + s.name + "/copy", gbps(n, copy_s), "GB/s");
    report(std::string("shift/") + s.name + "/shift", gbps(n, best), "GB/s");
  }
}
#endif

void loss_path(Device device) {
  const bool cuda = device.is_cuda();
  std::printf("%s, E = 512: microseconds per call (median)\n", cuda ? "CUDA" : "CPU");
  std::printf("  %-8s %6s %14s %18s\n", "loss", "B", "forward", "forward+backward");
  struct Variant {
    const char* name;
    ContrastiveKind kind;
    Similarity sim;
  };
  const Variant variants[] = {{"CL cos", ContrastiveKind::CL, Similarity::Cos},
                              {"wCL cos", ContrastiveKind::WCL, Similarity::Cos},
                              {"CL l2", ContrastiveKind::CL, Similarity::L2},
                              {"wCL l2", ContrastiveKind::WCL, Similarity::L2}};
  for (const Variant& v : variants) {
    for (int64_t B : {8, 64, 1024}) {
      const int64_t E = 512;
      // Varied embeddings and targets (a constant input would make every similarity equal).
      std::vector<float> uv(B * E), yv(B);
      for (int64_t i = 0; i < B * E; ++i) uv[i] = float((i * 7919) % 1000) / 1000.f - 0.5f;
      for (int64_t i = 0; i < B; ++i) yv[i] = float((i * 37) % 101) / 100.f;
      Tensor u = Tensor::from_vector(uv, {B, E}, device).set_requires_grad(true);
      Tensor y = Tensor::from_vector(yv, {B}, device);
      auto sync = [&] { synchronize(device); };
      const int repeats = !cuda && B >= 1024 ? 3 : 15;
      const double forward = median_seconds(
          [&] {
            NoGradGuard no_grad;
            contrastive_loss(u, y, v.kind, v.sim);
          },
          1, repeats, sync);
      const double both = median_seconds(
          [&] {
            u.zero_grad();
            contrastive_loss(u, y, v.kind, v.sim).backward();
          },
          1, repeats, sync);
      std::printf("  %-8s %6ld %14.1f %18.1f\n", v.name, long(B), forward * 1e6, both * 1e6);
      if (cuda) {
        const std::string key = std::string("loss/") + v.name + "/B" + std::to_string(B);
        report(key + "/fwd", forward * 1e6, "us");
        report(key + "/fwd+bwd", both * 1e6, "us");
      }
    }
  }
}

}  // namespace

LEARNER_BENCHMARK("temporal_shift",
                  "temporal shift GB/s vs a plain copy at the ResNet-18 block shapes") {
  shift_cpu();
#ifdef LEARNER_WITH_CUDA
  if (cuda_available()) {
    shift_cuda();
    return;
  }
#endif
  std::printf("CUDA variants skipped: no GPU available\n");
}

LEARNER_BENCHMARK("contrastive_loss",
                  "distances + mining + similarity + loss (+ backward), E = 512") {
  loss_path(Device::cpu());
  if (cuda_available()) {
    loss_path(Device::cuda(0));
    return;
  }
  std::printf("CUDA variants skipped: no GPU available\n");
}

}  // namespace learner::bench
