// TimeSformer import: the wrapper's "model." prefix, the RGB-to-gray patch filters, the
// nearest resizes of the position and time embeddings, and a per-frame ViT inflated.
#include "models/timesformer_import.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/reduce.h"

namespace learner::models {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

int64_t nearest_source_index(int64_t o, int64_t in, int64_t out) {
  if (out == in) return o;
  if (out == 2 * in) return o >> 1;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
}

Tensor nearest_pos_embed(const Tensor& pos_embed, int64_t Hs, int64_t Ws, int64_t Ht, int64_t Wt) {
  LEARNER_CHECK(pos_embed.dim() == 3 && pos_embed.size(0) == 1 && pos_embed.size(1) == 1 + Hs * Ws,
                "nearest_pos_embed: pos_embed ", pos_embed.describe(), " is not (1, 1 + ", Hs, "*", Ws, ", D)");
  const int64_t D = pos_embed.size(2);
  const std::vector<float> src = pos_embed.to(Device::cpu()).to_vector();
  std::vector<float> out((1 + Ht * Wt) * D);
  std::copy(src.begin(), src.begin() + D, out.begin());  // the cls entry
  for (int64_t y = 0; y < Ht; ++y)
    for (int64_t x = 0; x < Wt; ++x) {
      const int64_t from = 1 + nearest_source_index(y, Hs, Ht) * Ws + nearest_source_index(x, Ws, Wt);
      std::copy(src.begin() + from * D, src.begin() + (from + 1) * D, out.begin() + (1 + y * Wt + x) * D);
    }
  return Tensor::from_vector(out, {1, 1 + Ht * Wt, D});
}

Tensor nearest_time_embed(const Tensor& time_embed, int64_t Tt) {
  LEARNER_CHECK(time_embed.dim() == 3 && time_embed.size(0) == 1 && time_embed.size(1) > 0,
                "nearest_time_embed: time_embed ", time_embed.describe(), " is not (1, T, D)");
  const int64_t Ts = time_embed.size(1), D = time_embed.size(2);
  const std::vector<float> src = time_embed.to(Device::cpu()).to_vector();
  std::vector<float> out(Tt * D);
  for (int64_t t = 0; t < Tt; ++t) {
    const int64_t from = nearest_source_index(t, Ts, Tt);
    std::copy(src.begin() + from * D, src.begin() + (from + 1) * D, out.begin() + t * D);
  }
  return Tensor::from_vector(out, {1, Tt, D});
}

SafetensorsFile timesformer_for_encoder(const SafetensorsFile& file, const TimeSformerConfig& config,
                                        const std::string& path) {
  // The TimeSformer wrapper holds the VisionTransformer as `model`.
  const bool wrapped = file.find("model.time_embed") != nullptr || file.find("model.cls_token") != nullptr;
  const std::string prefix = wrapped ? "model." : "";
  LEARNER_CHECK(file.find(prefix + "cls_token") != nullptr && file.find(prefix + "pos_embed") != nullptr, path,
                ": neither a learner TimeSformer checkpoint (encoder.cls_token) nor a TimeSformer state_dict "
                "(cls_token, pos_embed, time_embed, or model.* as the TimeSformer wrapper saves them); export one "
                "with safetensors.torch.save_file(model.state_dict())");
  const bool has_time = file.find(prefix + "time_embed") != nullptr;
  const bool has_temporal = file.find(prefix + "blocks.0.temporal_attn.qkv.weight") != nullptr;
  LEARNER_CHECK(!has_time || has_temporal, path, ": ", prefix,
                "time_embed without blocks.0.temporal_attn.*: a joint_space_time TimeSformer; timesformer-* is "
                "attention_type='divided_space_time' only");
  // No temporal branch at all: a per-frame ViT (timm's names, the reference's
  // vit_base_patch16_224, or a space_only TimeSformer), inflated as the reference's
  // load_pretrained inflates it.
  const bool inflate = !has_time && !has_temporal;
  const int64_t Ht = config.image_height / config.patch, Wt = config.image_width / config.patch;
  SafetensorsFile renamed;
  for (const auto& [stored, t] : file.tensors) {
    if (!starts_with(stored, prefix)) continue;  // nothing outside the wrapper's model
    const std::string name = stored.substr(prefix.size());
    if (starts_with(name, "head.")) continue;  // the classifier is not part of the encoder
    Tensor value = t;
    if (name == "patch_embed.proj.weight" && t.dim() == 4 && t.size(1) == 3 && config.in_channels == 1) {
      NoGradGuard no_grad;
      value = sum(t, 1, /*keepdim=*/true);  // grayscale sees the sum of the RGB filters
    } else if (name == "pos_embed" && t.dim() == 3 && t.size(0) == 1 && t.size(2) == config.width &&
               t.size(1) != 1 + Ht * Wt) {
      const int64_t grid = t.size(1) - 1;
      const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(grid))));
      LEARNER_CHECK(side * side == grid, path, ": ", stored, " ", t.describe(), " has ", grid,
                    " patch positions, not a square grid; cannot resize it to ", Ht, " x ", Wt,
                    " (the reference assumes a square one too)");
      value = nearest_pos_embed(t, side, side, Ht, Wt);
    } else if (name == "time_embed" && t.dim() == 3 && t.size(0) == 1 && t.size(2) == config.width &&
               t.size(1) != config.frames) {
      value = nearest_time_embed(t, config.frames);
    }
    renamed.tensors.emplace_back("encoder." + name, value);
    if (inflate) {
      // blocks.i.attn.* -> blocks.i.temporal_attn.*, blocks.i.norm1.* -> blocks.i.temporal_norm1.*
      for (const char* part : {".attn.", ".norm1."}) {
        const size_t at = name.find(part);
        if (starts_with(name, "blocks.") && at != std::string::npos)
          renamed.tensors.emplace_back("encoder." + name.substr(0, at + 1) + "temporal_" + name.substr(at + 1), value);
      }
    }
  }
  if (inflate) {
    // What the file lacks stays at the reference's init: time_embed and every temporal_fc zero.
    renamed.tensors.emplace_back("encoder.time_embed", Tensor::zeros({1, config.frames, config.width}));
    for (int i = 0; i < config.depth; ++i) {
      const std::string fc = "encoder.blocks." + std::to_string(i) + ".temporal_fc.";
      renamed.tensors.emplace_back(fc + "weight", Tensor::zeros({config.width, config.width}));
      renamed.tensors.emplace_back(fc + "bias", Tensor::zeros({config.width}));
    }
  }
  return renamed;
}

}  // namespace learner::models
