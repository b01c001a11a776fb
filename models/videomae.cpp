// VideoMAE's fine-tuning VisionTransformer, block by block, on the framework's ops. Tokens
// stay (B, N, D); linear layers see them as (B*N, D) rows.
#include "models/videomae.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "framework/nn/init.h"
#include "framework/ops/attention.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/linear.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/tokens.h"
#include "framework/ops/tubelet_embed.h"

namespace learner::models {

namespace {

// The reference's _init_weights for a Linear: trunc_normal_(std .02), zero bias.
std::shared_ptr<nn::Linear> reference_linear(int in, int out, bool bias, Generator& gen) {
  auto layer = std::make_shared<nn::Linear>(in, out, bias, gen);
  nn::trunc_normal_(layer->weight, 0.f, 0.02f, -2.f, 2.f, gen);
  if (bias) nn::constant_(layer->bias, 0.f);
  return layer;
}

const char* videomae_size(Backbone backbone) {
  switch (backbone) {
    case Backbone::VideoMAETiny: return "tiny";
    case Backbone::VideoMAESmall: return "small";
    case Backbone::VideoMAEBase: return "base";
    default: break;
  }
  throw Error("VideoMAEEncoder: not a VideoMAE backbone");
}

}  // namespace

VideoMAEConfig videomae_config(const char* size, int in_channels, int frames, int height, int width) {
  VideoMAEConfig c;
  c.in_channels = in_channels;
  c.frames = frames;
  c.image_height = height;
  c.image_width = width;
  if (std::strcmp(size, "tiny") == 0) {
    c.width = 192, c.heads = 3;
  } else if (std::strcmp(size, "small") == 0) {
    c.width = 384, c.heads = 6;
  } else if (std::strcmp(size, "base") == 0) {
    c.width = 768, c.heads = 12;
  } else {
    throw Error(str("videomae_config: unknown size '", size, "'; use tiny, small or base"));
  }
  return c;
}

Tensor sinusoid_table(int64_t tokens, int64_t width) {
  std::vector<float> table(tokens * width);
  for (int64_t pos = 0; pos < tokens; ++pos)
    for (int64_t j = 0; j < width; ++j) {
      // numpy: position / np.power(10000, 2 * (j // 2) / d_hid), all in float64.
      const double angle = static_cast<double>(pos) /
                           std::pow(10000.0, static_cast<double>(2 * (j / 2)) / static_cast<double>(width));
      table[pos * width + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return Tensor::from_vector(table, {1, tokens, width});
}

VideoMAEAttention::VideoMAEAttention(int width, int heads, Generator& gen) : heads_(heads) {
  LEARNER_CHECK(heads > 0 && width % heads == 0, "VideoMAE attention: width ", width, " is not a multiple of ",
                heads, " heads");
  qkv = register_module("qkv", reference_linear(width, 3 * width, /*bias=*/false, gen));
  q_bias = Tensor::zeros({width});
  v_bias = Tensor::zeros({width});
  register_parameter("q_bias", &q_bias);
  register_parameter("v_bias", &v_bias);
  proj = register_module("proj", reference_linear(width, width, /*bias=*/true, gen));
}

Tensor VideoMAEAttention::forward(const Tensor& x) {
  const int64_t B = x.size(0), N = x.size(1), D = x.size(2);
  // The reference's qkv bias: cat(q_bias, zeros, v_bias); k gets no bias and no gradient.
  const Tensor bias = concat({q_bias, Tensor::zeros({D}, DType::F32, x.device()), v_bias}, 0);
  const Tensor rows = linear(reshape(x, {B * N, D}), qkv->weight, bias);
  return apply_rows(*proj, self_attention(reshape(rows, {B, N, 3 * D}), heads_));
}

VideoMAEBlock::VideoMAEBlock(const VideoMAEConfig& config, Generator& gen) {
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(config.width, config.eps));
  attn = register_module("attn", std::make_shared<VideoMAEAttention>(config.width, config.heads, gen));
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(config.width, config.eps));
  mlp = register_module("mlp", std::make_shared<ViTMlp>(config.width, config.mlp_ratio * config.width, gen));
}

Tensor VideoMAEBlock::forward(const Tensor& x) {
  const Tensor h = add(x, attn->forward(norm1->forward(x)));
  return add(h, mlp->forward(norm2->forward(h)));
}

TubeletConv::TubeletConv(int in_channels, int width, int tubelet, int patch, Generator& gen) {
  // PyTorch's Conv3d default (the reference's _init_weights leaves convolutions alone).
  weight = Tensor::empty({width, in_channels, tubelet, patch, patch});
  bias = Tensor::empty({width});
  nn::default_weight_init_(weight, gen);
  nn::default_bias_init_(bias, weight, gen);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor TubeletConv::forward(const Tensor&) {
  throw Error("TubeletConv::forward: call TubeletEmbed, which knows the clip length");
}

TubeletEmbed::TubeletEmbed(const VideoMAEConfig& config, Generator& gen) : frames_(config.frames) {
  proj = register_module("proj", std::make_shared<TubeletConv>(config.in_channels, config.width, config.tubelet,
                                                               config.patch, gen));
}

Tensor TubeletEmbed::forward(const Tensor& x) { return tubelet_embed(x, frames_, proj->weight, proj->bias); }

VideoMAE::VideoMAE(const VideoMAEConfig& config, Generator& gen) : config_(config) {
  LEARNER_CHECK(config.frames > 0 && config.frames % config.tubelet == 0, "VideoMAE: clips of ", config.frames,
                " frames do not split into tubelets of ", config.tubelet, " frames; use an even --frames");
  LEARNER_CHECK(config.image_height >= config.patch && config.image_width >= config.patch, "VideoMAE: frames of ",
                config.image_height, " x ", config.image_width, " are smaller than one ", config.patch, " x ",
                config.patch, " patch; pack with a larger --size");
  // The reference's order of creation: patch_embed, blocks, fc_norm.
  patch_embed = register_module("patch_embed", std::make_shared<TubeletEmbed>(config, gen));
  blocks = register_module("blocks", std::make_shared<nn::Sequential>());
  for (int i = 0; i < config.depth; ++i) blocks->add(std::make_shared<VideoMAEBlock>(config, gen));
  fc_norm = register_module("fc_norm", std::make_shared<nn::LayerNorm>(config.width, config.eps));
  pos_table_ = sinusoid_table(config.tokens(), config.width);
}

Tensor VideoMAE::forward(const Tensor& x) {
  check_rank(x, 4, "VideoMAE", "x");
  LEARNER_CHECK(x.size(1) == config_.in_channels && x.size(2) == config_.image_height &&
                    x.size(3) == config_.image_width && x.size(0) % config_.frames == 0,
                "VideoMAE: expected clips of ", config_.frames, " frames of ", config_.in_channels, " x ",
                config_.image_height, " x ", config_.image_width, " (C x H x W), got ", x.describe());
  // The table is a constant of the model: copied once to the device the model runs on.
  if (pos_table_.device() != x.device()) pos_table_ = pos_table_.to(x.device());
  const Tensor tokens = add_broadcast(patch_embed->forward(x), pos_table_);
  return fc_norm->forward(mean(blocks->forward(tokens), 1));
}

VideoMAEEncoder::VideoMAEEncoder(const EncoderOptions& options, Generator& gen) : ClipEncoder(options) {
  LEARNER_CHECK(options.frames % 2 == 0, "videomae: --frames ", options.frames,
                " is odd; VideoMAE's tubelets span 2 frames, so T must be even (e.g. --frames ",
                options.frames + 1, ")");
  videomae = register_module("", std::make_shared<VideoMAE>(
                                     videomae_config(videomae_size(options.backbone), options.in_channels,
                                                     options.frames, options.image_height, options.image_width),
                                     gen));
}

int VideoMAEEncoder::embedding_width() const { return videomae->config().width; }

Tensor VideoMAEEncoder::forward(const Tensor& x) {
  clips_in(x);
  return videomae->forward(x);
}

}  // namespace learner::models
