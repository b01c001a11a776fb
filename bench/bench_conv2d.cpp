// conv2d benchmarks on the ResNet-18 conv shapes at 112x112 input, 8 frames: the CPU kernels
// next to one raw sgemm of the same im2col GEMM shape (the gap is the im2col/col2im and
// copy overhead), and the cuDNN path through the op when a GPU is present.
#include <cblas.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "framework/random.h"
#include "base/runtime.h"
#include "framework/tensor.h"
#include "kernels/conv2d.h"

namespace learner {

namespace {

constexpr int64_t kFrames = 8;  // one clip of T = 8 frames

struct Layer {
  const char* name;
  int count;  // how many convolutions of this shape one ResNet-18 pass runs
  int64_t C, H, K, R;
  int stride, pad;
};

// Input side 112: conv1 -> 56, maxpool -> 28 (layer1), 14 (layer2), 7 (layer3), 4 (layer4).
const Layer kLayers[] = {
    {"conv1 7x7/2 3->64", 1, 3, 112, 64, 7, 2, 3},
    {"layer1 3x3 64->64", 4, 64, 28, 64, 3, 1, 1},
    {"layer2 3x3/2 64->128", 1, 64, 28, 128, 3, 2, 1},
    {"layer2 3x3 128->128", 3, 128, 14, 128, 3, 1, 1},
    {"layer2 down 1x1/2 64->128", 1, 64, 28, 128, 1, 2, 0},
    {"layer3 3x3/2 128->256", 1, 128, 14, 256, 3, 2, 1},
    {"layer3 3x3 256->256", 3, 256, 7, 256, 3, 1, 1},
    {"layer3 down 1x1/2 128->256", 1, 128, 14, 256, 1, 2, 0},
    {"layer4 3x3/2 256->512", 1, 256, 7, 512, 3, 2, 1},
    {"layer4 3x3 512->512", 3, 512, 4, 512, 3, 1, 1},
    {"layer4 down 1x1/2 256->512", 1, 256, 7, 512, 1, 2, 0},
};

Conv2dGeometry geometry(const Layer& l) {
  Conv2dGeometry g;
  g.N = kFrames, g.C = l.C, g.H = l.H, g.W = l.H;
  g.K = l.K, g.R = l.R, g.S = l.R;
  g.stride_h = g.stride_w = l.stride;
  g.pad_h = g.pad_w = l.pad;
  g.P = conv2d_output_size(g.H, g.R, l.stride, l.pad, 1);
  g.Q = conv2d_output_size(g.W, g.S, l.stride, l.pad, 1);
  return g;
}

std::vector<float> random_values(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<float> v(n);
  for (float& x : v) x = gen.uniform(-1.f, 1.f);
  return v;
}

}  // namespace

}  // namespace learner

using namespace learner;

LEARNER_BENCHMARK("conv2d_cpu",
                  "CPU conv2d (im2col + OpenBLAS) on ResNet-18 layers at 112x112, 8 frames, "
                  "against raw sgemm of the same GEMM shape") {
  std::printf("batch %lld frames; fwd = y from x; bwd = dx + dw; GFLOP/s counts 2*M*N*K per GEMM\n",
              static_cast<long long>(kFrames));
  std::printf("%-27s %-18s %5s %6s %5s | %8s %7s %7s | %8s %7s %7s\n", "layer", "x", "M", "N", "K",
              "fwd ms", "GFLOP/s", "sgemm", "bwd ms", "GFLOP/s", "sgemm");
  double total_fwd = 0, total_bwd = 0, total_flops = 0;
  for (const Layer& l : kLayers) {
    const Conv2dGeometry g = geometry(l);
    // The im2col GEMM of the forward pass: (K x CRS) * (CRS x N*P*Q).
    const int64_t M = g.K, N = g.N * g.P * g.Q, K = g.C * g.R * g.S;
    const double flops = 2.0 * M * N * K;
    std::vector<float> x = random_values(g.N * g.C * g.H * g.W, 1);
    std::vector<float> w = random_values(g.K * g.C * g.R * g.S, 2);
    std::vector<float> dy = random_values(g.N * g.K * g.P * g.Q, 3);
    std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());

    const double fwd = bench::median_seconds(
        [&] { conv2d_forward_cpu(y.data(), x.data(), w.data(), nullptr, g); }, 2, 7);
    const double bwd = bench::median_seconds(
        [&] { conv2d_backward_cpu(dx.data(), dw.data(), nullptr, dy.data(), x.data(), w.data(), g); },
        2, 7);

    // Raw sgemm on buffers of the GEMM shapes: forward C = A*B, backward dW = dY*col^T and
    // dcol = W^T*dY (the two GEMMs the backward kernel runs).
    std::vector<float> a = random_values(M * K, 4), b = random_values(K * N, 5);
    std::vector<float> c(M * N), dcol(K * N);
    const double gemm_fwd = bench::median_seconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, a.data(), K,
                      b.data(), N, 0.f, c.data(), N);
        },
        2, 7);
    const double gemm_bwd = bench::median_seconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, N, 1.f, c.data(), N, b.data(),
                      N, 0.f, a.data(), K);
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, M, 1.f, a.data(), K, c.data(),
                      N, 0.f, dcol.data(), N);
        },
        2, 7);

    char xshape[32];
    std::snprintf(xshape, sizeof(xshape), "%lldx%lldx%lldx%lld", (long long)g.N, (long long)g.C,
                  (long long)g.H, (long long)g.W);
    std::printf("%-27s %-18s %5lld %6lld %5lld | %8.2f %7.1f %7.1f | %8.2f %7.1f %7.1f\n", l.name,
                xshape, (long long)M, (long long)N, (long long)K, fwd * 1e3, flops / fwd * 1e-9,
                flops / gemm_fwd * 1e-9, bwd * 1e3, 2 * flops / bwd * 1e-9,
                2 * flops / gemm_bwd * 1e-9);
    total_fwd += l.count * fwd;
    total_bwd += l.count * bwd;
    total_flops += l.count * flops;
  }
  std::printf("all 20 convs of one ResNet-18 pass (8 frames): fwd %.1f ms (%.1f GFLOP/s), "
              "bwd %.1f ms (%.1f GFLOP/s)\n",
              total_fwd * 1e3, total_flops / total_fwd * 1e-9, total_bwd * 1e3,
              2 * total_flops / total_bwd * 1e-9);
}

LEARNER_BENCHMARK("conv2d_cuda",
                  "cuDNN conv2d kernels on ResNet-18 layers at 112x112, 8 frames") {
  if (!cuda_available()) {
    std::printf("no GPU (cudaGetDeviceCount reports none): conv2d_cuda skipped\n");
    return;
  }
  const Device gpu = Device::cuda(0);
  std::printf("deterministic mode: %s (first call per shape chooses the algorithm: warm-up)\n",
              deterministic() ? "on" : "off");
  std::printf("%-27s | %8s %8s | %8s %8s\n", "layer", "fwd ms", "GFLOP/s", "bwd ms", "GFLOP/s");
  for (const Layer& l : kLayers) {
    const Conv2dGeometry g = geometry(l);
    const double flops = 2.0 * g.K * (g.N * g.P * g.Q) * (g.C * g.R * g.S);
    Tensor x = Tensor::from_vector(random_values(g.N * g.C * g.H * g.W, 1), {g.N, g.C, g.H, g.W}, gpu);
    Tensor w = Tensor::from_vector(random_values(g.K * g.C * g.R * g.S, 2), {g.K, g.C, g.R, g.S}, gpu);
    Tensor dy = Tensor::from_vector(random_values(g.N * g.K * g.P * g.Q, 3), {g.N, g.K, g.P, g.Q}, gpu);
    Tensor y = Tensor::empty(dy.shape(), DType::F32, gpu);
    Tensor dx = Tensor::empty(x.shape(), DType::F32, gpu);
    Tensor dw = Tensor::empty(w.shape(), DType::F32, gpu);
    const auto sync = [&] { synchronize(gpu); };
    const double fwd = bench::median_seconds(
        [&] {
          LEARNER_CUDA_CALL("conv2d_cuda", conv2d_forward_cuda(y.data<float>(), x.data<float>(),
                                                               w.data<float>(), nullptr, g,
                                                               stream_for(gpu)));
        },
        3, 20, sync);
    const double bwd = bench::median_seconds(
        [&] {
          LEARNER_CUDA_CALL("conv2d_cuda",
                            conv2d_backward_cuda(dx.data<float>(), dw.data<float>(), nullptr,
                                                 dy.data<float>(), x.data<float>(), w.data<float>(),
                                                 g, stream_for(gpu)));
        },
        3, 20, sync);
    std::printf("%-27s | %8.3f %8.1f | %8.3f %8.1f\n", l.name, fwd * 1e3, flops / fwd * 1e-9,
                bwd * 1e3, 2 * flops / bwd * 1e-9);
    const std::string key = std::string("conv/") + l.name + (deterministic() ? "" : "/fast");
    bench::report(key + "/fwd", fwd * 1e3, "ms");
    bench::report(key + "/bwd", bwd * 1e3, "ms");
  }
}
