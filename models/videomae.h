// VideoMAE's fine-tuning VisionTransformer (MCG-NJU/VideoMAE modeling_finetune.py; SPEC
// section 4b, "videomae"), on one clip: a tubelet embedding Conv3d(C, D, (2, 16, 16), stride
// (2, 16, 16)) over (C, T, H, W), tokens time-major; plus a fixed sinusoidal position table
// over the flattened token index (not a parameter: the reference keeps it as a plain tensor
// attribute, outside its state_dict); pre-norm blocks x += attn(norm1(x)); x += mlp(norm2(x))
// with joint space-time attention over all (T/2)(H/16)(W/16) tokens, a qkv Linear(D, 3D)
// without bias plus separate q_bias and v_bias (the k bias is 0), LayerNorm eps 1e-6, exact
// GELU, MLP ratio 4; clip embedding = fc_norm(mean over all tokens) (use_mean_pooling: the
// final `norm` is Identity). Tensor names are the reference's: patch_embed.proj.*,
// blocks.i.{norm1, attn.qkv.weight, attn.q_bias, attn.v_bias, attn.proj, norm2, mlp.fc1,
// mlp.fc2}.*, fc_norm.*. The reference's default init_values is 0: no layer scale (gamma_1,
// gamma_2). No dropout or drop-path.
#pragma once

#include <memory>

#include "framework/nn/layers.h"
#include "models/video_encoder.h"
#include "models/vit.h"

namespace learner::models {

struct VideoMAEConfig {
  int width = 192;   // D (embed_dim)
  int depth = 12;
  int heads = 3;
  int patch = 16;
  int tubelet = 2;   // frames per tubelet
  int in_channels = 1;
  int frames = 8;    // T, a multiple of `tubelet`
  int image_height = 112, image_width = 112;
  float eps = 1e-6f;
  int mlp_ratio = 4;
  int64_t tokens() const {
    return int64_t{frames / tubelet} * (image_height / patch) * (image_width / patch);
  }
};

// D 192 / 384 / 768, 12 blocks, 3 / 6 / 12 heads (the reference defines small and base;
// tiny is the same constructor at D 192, as for ViT), for C channels and T frames of H x W.
VideoMAEConfig videomae_config(const char* size, int in_channels, int frames, int height, int width);

// The reference's get_sinusoid_encoding_table(tokens, D): angle = pos / 10000^(2 floor(j/2) / D)
// in double, sin on even j, cos on odd j, rounded to float once. (1, tokens, D) on the CPU.
Tensor sinusoid_table(int64_t tokens, int64_t width);

class VideoMAEAttention : public nn::Module {
 public:
  VideoMAEAttention(int width, int heads, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, N, D) -> (B, N, D)
  std::shared_ptr<nn::Linear> qkv, proj;    // qkv without bias
  Tensor q_bias, v_bias;                     // (D) each

 private:
  int heads_;
};

class VideoMAEBlock : public nn::Module {
 public:
  VideoMAEBlock(const VideoMAEConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::LayerNorm> norm1, norm2;
  std::shared_ptr<VideoMAEAttention> attn;
  std::shared_ptr<ViTMlp> mlp;  // fc1, fc2 as in timm's Mlp
};

// The Conv3d's parameters under the reference's names (patch_embed.proj.{weight, bias}).
class TubeletConv : public nn::Module {
 public:
  TubeletConv(int in_channels, int width, int tubelet, int patch, Generator& gen);
  Tensor forward(const Tensor& x) override;  // not used: the op needs the clip length
  Tensor weight;  // (D, C, tubelet, patch, patch)
  Tensor bias;    // (D)
};

class TubeletEmbed : public nn::Module {
 public:
  TubeletEmbed(const VideoMAEConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B*T, C, H, W) -> (B, tokens, D)
  std::shared_ptr<TubeletConv> proj;

 private:
  int frames_;
};

class VideoMAE : public nn::Module {
 public:
  explicit VideoMAE(const VideoMAEConfig& config, Generator& gen = default_generator());
  // x (B*T, C, H, W), the frames of a clip contiguous -> clip embeddings (B, D).
  Tensor forward(const Tensor& x) override;
  const VideoMAEConfig& config() const { return config_; }

  std::shared_ptr<TubeletEmbed> patch_embed;
  std::shared_ptr<nn::Sequential> blocks;
  std::shared_ptr<nn::LayerNorm> fc_norm;

 private:
  VideoMAEConfig config_;
  Tensor pos_table_;  // (1, tokens, D), constant; follows the input's device on first use
};

// The ClipEncoder adapter: u = VideoMAE(x), E = D.
class VideoMAEEncoder : public ClipEncoder {
 public:
  explicit VideoMAEEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  int embedding_width() const override;
  std::shared_ptr<VideoMAE> videomae;  // registered without a name component
};

}  // namespace learner::models
