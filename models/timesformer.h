// TimeSformer (facebookresearch/TimeSformer timesformer/models/vit.py, VisionTransformer with
// attention_type = 'divided_space_time'; SPEC section 4b, "timesformer"), on one clip: a
// per-frame Conv2d(C, D, 16, stride 16) patch embedding, one cls token, a learned position
// embedding over 1 + (H/16)(W/16) tokens shared by the T frames, a learned time embedding
// (1, T, D) added to the patch tokens, tokens ordered space-major, time-minor (token 1 + n T + t
// is patch n of frame t). Each block: temporal attention over the T tokens of each patch
// position (cls excluded) through temporal_norm1, temporal_attn and temporal_fc, added to the
// patch tokens; then spatial attention over each frame's 1 + (H/16)(W/16) tokens with the cls
// token repeated per frame (norm1, attn), the T cls outputs averaged into one residual; then
// x += mlp(norm2(x)). LayerNorm eps 1e-6, qkv bias, exact GELU, MLP ratio 4; clip embedding =
// norm(x)[:, 0]. Tensor names are the reference's: cls_token, pos_embed, time_embed,
// patch_embed.proj.*, blocks.i.{norm1, attn.qkv, attn.proj, temporal_norm1, temporal_attn.qkv,
// temporal_attn.proj, temporal_fc, norm2, mlp.fc1, mlp.fc2}.*, norm.*. No dropout or drop-path.
#pragma once

#include <memory>

#include "framework/nn/layers.h"
#include "models/video_encoder.h"
#include "models/vit.h"

namespace learner::models {

struct TimeSformerConfig {
  int width = 192;  // D (embed_dim)
  int depth = 12;
  int heads = 3;
  int patch = 16;
  int in_channels = 1;
  int frames = 8;   // T: the time embedding's length
  int image_height = 112, image_width = 112;
  float eps = 1e-6f;
  int mlp_ratio = 4;
  int64_t patches() const { return int64_t{image_height / patch} * (image_width / patch); }  // per frame
};

// D 192 / 768, 12 blocks, 3 / 12 heads (the reference builds base, `TimeSformer`; tiny is the
// same VisionTransformer at D 192, as for ViT), for C channels and T frames of H x W.
TimeSformerConfig timesformer_config(const char* size, int in_channels, int frames, int height, int width);

class TimeSformerBlock : public nn::Module {
 public:
  TimeSformerBlock(const TimeSformerConfig& config, Generator& gen);
  // x (B, 1 + L T, D): the cls token, then the patch tokens space-major -> the same shape.
  Tensor forward(const Tensor& x) override;
  // The reference's order of creation, which is its state_dict order.
  std::shared_ptr<nn::LayerNorm> norm1;
  std::shared_ptr<ViTAttention> attn;  // qkv with bias + proj: the reference's Attention
  std::shared_ptr<nn::LayerNorm> temporal_norm1;
  std::shared_ptr<ViTAttention> temporal_attn;
  std::shared_ptr<nn::Linear> temporal_fc;
  std::shared_ptr<nn::LayerNorm> norm2;
  std::shared_ptr<ViTMlp> mlp;

 private:
  int64_t frames_;
};

class TimeSformer : public nn::Module {
 public:
  explicit TimeSformer(const TimeSformerConfig& config, Generator& gen = default_generator());
  // x (B*T, C, H, W), the frames of a clip contiguous -> clip embeddings (B, D).
  Tensor forward(const Tensor& x) override;
  const TimeSformerConfig& config() const { return config_; }

  Tensor cls_token;   // (1, 1, D)
  Tensor pos_embed;   // (1, 1 + L, D), shared by the frames
  Tensor time_embed;  // (1, T, D), shared by the patch positions
  std::shared_ptr<PatchEmbed> patch_embed;
  std::shared_ptr<nn::Sequential> blocks;
  std::shared_ptr<nn::LayerNorm> norm;

 private:
  Tensor embed(const Tensor& x);  // the token sequence entering block 0, (B, 1 + L T, D)
  TimeSformerConfig config_;
};

// The ClipEncoder adapter: u = TimeSformer(x), E = D.
class TimeSformerEncoder : public ClipEncoder {
 public:
  explicit TimeSformerEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  int embedding_width() const override;
  std::shared_ptr<TimeSformer> timesformer;  // registered without a name component
};

}  // namespace learner::models
