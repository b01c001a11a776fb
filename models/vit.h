// timm's VisionTransformer (SPEC section 4b, "vit"), applied to single frames: Conv2d(C, D,
// 16, stride 16) patch embedding, a cls token in front, a learned position embedding over
// 1 + (H/16)(W/16) tokens, pre-norm blocks x += attn(norm1(x)); x += mlp(norm2(x)) with
// LayerNorm eps 1e-6, a fused qkv Linear(D, 3D) with bias, exact GELU, MLP ratio 4; the frame
// feature is the final norm of the cls token (timm's global_pool = "token", num_classes = 0).
// Tensor names are timm's: cls_token, pos_embed, patch_embed.proj.*, blocks.i.{norm1, attn.qkv,
// attn.proj, norm2, mlp.fc1, mlp.fc2}.*, norm.*. No dropout or drop-path (timm's defaults).
#pragma once

#include <memory>
#include <vector>

#include "framework/nn/layers.h"

namespace learner::models {

// y = layer(x) on every token or map position: x (..., D) -> (..., out), each row of D
// values through the same Linear.
Tensor apply_rows(nn::Linear& layer, const Tensor& x);

// timm's init_weights_vit_timm for a Linear: trunc_normal_(std .02), zero bias.
std::shared_ptr<nn::Linear> timm_linear(int in, int out, Generator& gen, bool bias = true);

struct ViTConfig {
  int width = 192;       // D (embed_dim)
  int depth = 12;        // blocks
  int heads = 3;
  int patch = 16;
  int in_channels = 1;   // C
  int image_height = 112, image_width = 112;  // the position embedding's grid is H/16 x W/16
  float eps = 1e-6f;     // LayerNorm
  int mlp_ratio = 4;
};

// timm's vit_tiny / vit_small / vit_base_patch16 sizes (D 192 / 384 / 768, 12 blocks,
// 3 / 6 / 12 heads), for C channels and an H x W frame.
ViTConfig vit_config(const char* size, int in_channels, int height, int width);

class ViTAttention : public nn::Module {
 public:
  ViTAttention(int width, int heads, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, N, D) -> (B, N, D)
  std::shared_ptr<nn::Linear> qkv, proj;

 private:
  int heads_;
};

class ViTMlp : public nn::Module {
 public:
  ViTMlp(int width, int hidden, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, N, D) -> (B, N, D)
  std::shared_ptr<nn::Linear> fc1, fc2;
};

class ViTBlock : public nn::Module {
 public:
  ViTBlock(const ViTConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, N, D) -> (B, N, D)
  std::shared_ptr<nn::LayerNorm> norm1, norm2;
  std::shared_ptr<ViTAttention> attn;
  std::shared_ptr<ViTMlp> mlp;
};

// The patch embedding as timm names it (patch_embed.proj is the Conv2d).
class PatchEmbed : public nn::Module {
 public:
  PatchEmbed(int in_channels, int width, int patch, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (N, C, H, W) -> (N, (H/p)(W/p), D)
  std::shared_ptr<nn::Conv2d> proj;
};

class VisionTransformer : public nn::Module {
 public:
  explicit VisionTransformer(const ViTConfig& config, Generator& gen = default_generator());
  // x (N, C, H, W) with the configured H, W -> frame features (N, D).
  Tensor forward(const Tensor& x) override;
  // (N, 1 + L, D): the token sequence after the final norm (for tests and embedding dumps).
  Tensor forward_tokens(const Tensor& x);
  const ViTConfig& config() const { return config_; }

  Tensor cls_token;  // (1, 1, D)
  Tensor pos_embed;  // (1, 1 + L, D)
  std::shared_ptr<PatchEmbed> patch_embed;
  std::shared_ptr<nn::Sequential> blocks;
  std::shared_ptr<nn::LayerNorm> norm;

 private:
  Tensor blocks_output(const Tensor& x);  // before the final norm
  ViTConfig config_;
};

}  // namespace learner::models
