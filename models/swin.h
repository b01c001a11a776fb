// timm's SwinTransformer (SPEC section 4b, "swin"; timm 0.9.16 swin_transformer.py, with the
// padding PatchMerging of timm >= 1.0), applied to single frames in NHWC: a Conv2d(C, 96, 4,
// stride 4) patch embedding with a LayerNorm, four stages of shifted-window blocks (depths
// 2-2-6-2, heads 3-6-12-24, window 7), stages 2-4 opening with a patch merging, a final
// LayerNorm, and the frame feature = mean over the final map (timm's global_pool = "avg",
// num_classes = 0). LayerNorm eps 1e-5, qkv bias, exact GELU, MLP ratio 4, no dropout or
// drop-path.
//
// Window sizes follow timm, including where it is surprising: a stage's blocks size their
// window from the stage's nominal resolution, the patch grid floor-divided by 2 per merge,
// not from the map they are given. Where that resolution is <= the window, the window shrinks
// to it and the shift is 0; so at 112 px stage 3 (7 x 7) has window 7 and no shift, and stage 4
// (nominal 3 x 3, given the 4 x 4 map of the padded merge) has window 3 on a map padded to 6 x 6.
// Maps are zero-padded on the bottom and right to a multiple of the window after the roll and
// cropped before the roll back; patch merging pads odd maps to even.
//
// Tensor names are timm's: patch_embed.{proj, norm}.*, layers.i.downsample.{norm.*,
// reduction.weight} (i >= 1), layers.i.blocks.j.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1,
// mlp.fc2}.*, layers.i.blocks.j.attn.relative_position_bias_table, norm.*. timm's buffers
// (relative_position_index, attn_mask) are rebuilt here, not stored.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "framework/nn/layers.h"
#include "models/video_encoder.h"
#include "models/vit.h"

namespace learner::models {

struct SwinConfig {
  int embed_dim = 96;                         // stage 1's width; stage i has embed_dim * 2^i
  std::vector<int> depths = {2, 2, 6, 2};
  std::vector<int> heads = {3, 6, 12, 24};
  int window = 7;
  int patch = 4;
  int in_channels = 1;
  int image_height = 112, image_width = 112;  // the patch grid is (H/4) x (W/4)
  float eps = 1e-5f;
  int mlp_ratio = 4;
  int features() const { return embed_dim << (depths.size() - 1); }  // the frame feature's width
};

// timm's swin_tiny_patch4_window7_224 sizes (the only Swin of the paper's Table 4 we build),
// for C channels and an H x W frame.
SwinConfig swin_config(const char* size, int in_channels, int height, int width);

// A block's window and shift, as timm's SwinTransformerBlock._calc_window_shift derives them
// from the stage's nominal resolution.
struct WindowShape {
  int64_t height, width;   // the window
  int64_t shift_h, shift_w;
};
WindowShape swin_window(int64_t resolution_h, int64_t resolution_w, int64_t window, bool shifted);

// The nominal resolution of each stage's blocks for a patch grid (timm: grid // 2^(i-1) for
// i >= 1, floor-divided once more by the merge).
std::vector<std::array<int64_t, 2>> swin_stage_resolutions(const SwinConfig& config);

// The shifted-window mask for a map padded to Hp x Wp: (nW, N, N) with N = wh * ww, entry
// -100 where query and key tokens come from different regions of the rolled map, else 0
// (timm's attn_mask). Undefined when the shift is 0.
Tensor swin_shift_mask(int64_t Hp, int64_t Wp, const WindowShape& window);

// The relative position index of a wh x ww window: (N * N) entries
// (dy + wh - 1) (2 ww - 1) + (dx + ww - 1) for query i and key j (timm's
// get_relative_position_index), as an i64 tensor.
Tensor swin_relative_position_index(int64_t wh, int64_t ww);

class SwinWindowAttention : public nn::Module {
 public:
  SwinWindowAttention(int width, int heads, int64_t window_h, int64_t window_w, Generator& gen);
  // x (B * nW, N, D), the windows of each map contiguous; mask undefined or (nW, heads, N, N)
  // -> (B * nW, N, D).
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& mask);
  Tensor relative_position_bias_table;  // ((2 wh - 1)(2 ww - 1), heads)
  std::shared_ptr<nn::Linear> qkv, proj;

 private:
  int heads_;
  int64_t window_h_, window_w_;
  Tensor index_;  // swin_relative_position_index, on the table's device
};

class SwinBlock : public nn::Module {
 public:
  SwinBlock(int width, int heads, int64_t resolution_h, int64_t resolution_w, const SwinConfig& config,
            bool shifted, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, H, W, D) -> (B, H, W, D)
  const WindowShape& window() const { return window_; }
  std::shared_ptr<nn::LayerNorm> norm1;
  std::shared_ptr<SwinWindowAttention> attn;
  std::shared_ptr<nn::LayerNorm> norm2;
  std::shared_ptr<ViTMlp> mlp;

 private:
  Tensor attention_branch(const Tensor& x);  // roll, pad, windows, attention, merge, crop, roll back
  WindowShape window_;
  int heads_;
  // The shift mask per padded map size, broadcast over the heads, on the device it was used on.
  int64_t mask_hp_ = -1, mask_wp_ = -1;
  Tensor mask_;
};

class PatchMerging : public nn::Module {
 public:
  PatchMerging(int width, float eps, Generator& gen);
  // (B, H, W, D) -> (B, ceil(H/2), ceil(W/2), 2D): odd maps padded with zeros, the 2 x 2
  // neighbours concatenated in the order (0,0), (1,0), (0,1), (1,1) (row offset first).
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::LayerNorm> norm;        // LayerNorm(4D)
  std::shared_ptr<nn::Linear> reduction;      // Linear(4D, 2D), no bias
};

class SwinStage : public nn::Module {
 public:
  SwinStage(int in_width, int width, int64_t resolution_h, int64_t resolution_w, int depth, int heads,
            bool downsample, const SwinConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (B, H, W, in_width) -> (B, H', W', width)
  std::shared_ptr<PatchMerging> downsample;  // null in stage 1
  std::shared_ptr<nn::Sequential> blocks;
  SwinBlock& block(int i);
};

// timm's PatchEmbed with a norm: ViT's patch embedding (proj, the Conv2d), then LayerNorm over
// the embedding, the tokens as an NHWC map.
class SwinPatchEmbed : public PatchEmbed {
 public:
  SwinPatchEmbed(int in_channels, int width, int patch, float eps, Generator& gen);
  Tensor forward(const Tensor& x) override;  // (N, C, H, W) -> (N, H/p, W/p, D)
  std::shared_ptr<nn::LayerNorm> norm;
};

class SwinTransformer : public nn::Module {
 public:
  explicit SwinTransformer(const SwinConfig& config, Generator& gen = default_generator());
  // x (N, C, H, W) with the configured H, W -> frame features (N, features).
  Tensor forward(const Tensor& x) override;
  // (N, H', W', features): the final map after the final norm (for tests).
  Tensor forward_map(const Tensor& x);
  const SwinConfig& config() const { return config_; }
  SwinStage& stage(int i);

  std::shared_ptr<SwinPatchEmbed> patch_embed;
  std::shared_ptr<nn::Sequential> layers;
  std::shared_ptr<nn::LayerNorm> norm;

 private:
  SwinConfig config_;
};

// The ClipEncoder adapter: Swin per frame, the T frame features averaged; E = 768 for tiny.
class SwinEncoder : public ClipEncoder {
 public:
  explicit SwinEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  int embedding_width() const override;
  std::shared_ptr<SwinTransformer> swin;  // registered without a name component
};

}  // namespace learner::models
