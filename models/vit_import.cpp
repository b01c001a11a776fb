// timm ViT import: renaming, the RGB-to-gray patch filters and the position-embedding resample.
#include "models/vit_import.h"

#include <cmath>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/reduce.h"

namespace learner::models {

namespace {

// Keys' cubic convolution kernel with a = -0.5 (PyTorch's antialiased bicubic filter).
double cubic_aa(double x) {
  const double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

// weights[o] over source indices [first[o], first[o] + weights[o].size()), PyTorch's
// _compute_weights_aa for one axis of `in` -> `out` samples.
struct AxisWeights {
  std::vector<int64_t> first;
  std::vector<std::vector<double>> weights;
};

AxisWeights axis_weights(int64_t in, int64_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;  // interp_size 4, halved
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  AxisWeights w;
  for (int64_t o = 0; o < out; ++o) {
    const double center = scale * (static_cast<double>(o) + 0.5);
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in);
    std::vector<double> taps;
    double total = 0.0;
    for (int64_t j = lo; j < hi; ++j) {
      taps.push_back(cubic_aa((static_cast<double>(j) - center + 0.5) * invscale));
      total += taps.back();
    }
    if (total != 0.0)
      for (double& t : taps) t /= total;
    w.first.push_back(lo);
    w.weights.push_back(std::move(taps));
  }
  return w;
}

}  // namespace

Tensor resample_pos_embed(const Tensor& pos_embed, int64_t prefix, int64_t Hs, int64_t Ws, int64_t Ht,
                          int64_t Wt) {
  LEARNER_CHECK(pos_embed.dim() == 3 && pos_embed.size(0) == 1 && pos_embed.size(1) == prefix + Hs * Ws,
                "resample_pos_embed: pos_embed ", pos_embed.describe(), " is not (1, ", prefix, " + ", Hs, "*", Ws,
                ", D)");
  const int64_t D = pos_embed.size(2);
  const std::vector<float> src = pos_embed.to(Device::cpu()).to_vector();
  const AxisWeights wy = axis_weights(Hs, Ht), wx = axis_weights(Ws, Wt);
  std::vector<float> out((prefix + Ht * Wt) * D);
  for (int64_t i = 0; i < prefix * D; ++i) out[i] = src[i];
  // Horizontal pass (Hs x Wt), then vertical, as PyTorch's separable implementation.
  std::vector<double> rows(Hs * Wt * D, 0.0);
  for (int64_t y = 0; y < Hs; ++y)
    for (int64_t x = 0; x < Wt; ++x)
      for (size_t t = 0; t < wx.weights[x].size(); ++t) {
        const int64_t sx = wx.first[x] + static_cast<int64_t>(t);
        for (int64_t d = 0; d < D; ++d)
          rows[(y * Wt + x) * D + d] += wx.weights[x][t] * src[(prefix + y * Ws + sx) * D + d];
      }
  for (int64_t y = 0; y < Ht; ++y)
    for (int64_t x = 0; x < Wt; ++x)
      for (int64_t d = 0; d < D; ++d) {
        double acc = 0.0;
        for (size_t t = 0; t < wy.weights[y].size(); ++t)
          acc += wy.weights[y][t] * rows[((wy.first[y] + static_cast<int64_t>(t)) * Wt + x) * D + d];
        out[(prefix + y * Wt + x) * D + d] = static_cast<float>(acc);
      }
  return Tensor::from_vector(out, {1, prefix + Ht * Wt, D});
}

SafetensorsFile timm_vit_for_encoder(const SafetensorsFile& timm, const ViTConfig& config,
                                     const std::string& path) {
  const int64_t Ht = config.image_height / config.patch, Wt = config.image_width / config.patch;
  SafetensorsFile renamed;
  for (const auto& [name, t] : timm.tensors) {
    // The ImageNet classifier (and timm's pooling norm, Identity for token pooling) is not
    // part of the encoder.
    if (name.rfind("head.", 0) == 0) continue;
    Tensor value = t;
    if (name == "patch_embed.proj.weight" && t.dim() == 4 && t.size(1) == 3 && config.in_channels == 1) {
      NoGradGuard no_grad;
      value = sum(t, 1, /*keepdim=*/true);  // grayscale sees the sum of the RGB filters
    } else if (name == "pos_embed" && t.dim() == 3 && t.size(0) == 1 && t.size(2) == config.width &&
               t.size(1) != 1 + Ht * Wt) {
      const int64_t grid = t.size(1) - 1;
      const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(grid))));
      LEARNER_CHECK(side * side == grid, path, ": pos_embed ", t.describe(), " has ", grid,
                    " patch positions, not a square grid; cannot resample it to ", Ht, " x ", Wt,
                    " (save the model at a square image size)");
      value = resample_pos_embed(t, 1, side, side, Ht, Wt);
    }
    renamed.tensors.emplace_back("encoder." + name, value);
  }
  return renamed;
}

}  // namespace learner::models
