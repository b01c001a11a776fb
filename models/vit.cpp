// timm's VisionTransformer, block by block, on the framework's ops. Tokens stay (B, N, D);
// linear layers see them as (B*N, D) rows.
#include "models/vit.h"

#include <cstring>

#include "framework/nn/init.h"
#include "framework/ops/attention.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/gelu.h"
#include "framework/ops/linear.h"
#include "framework/ops/patch_embed.h"
#include "framework/ops/shape.h"
#include "framework/ops/tokens.h"

namespace learner::models {

std::shared_ptr<nn::Linear> timm_linear(int in, int out, Generator& gen, bool bias) {
  auto layer = std::make_shared<nn::Linear>(in, out, bias, gen);
  nn::trunc_normal_(layer->weight, 0.f, 0.02f, -2.f, 2.f, gen);
  if (bias) nn::constant_(layer->bias, 0.f);
  return layer;
}

Tensor apply_rows(nn::Linear& layer, const Tensor& x) {
  Shape out_shape = x.shape();
  const int64_t D = out_shape.back();
  const Tensor y = layer.forward(reshape(x, {x.numel() / D, D}));
  out_shape.back() = y.size(1);
  return reshape(y, out_shape);
}

ViTConfig vit_config(const char* size, int in_channels, int height, int width) {
  ViTConfig c;
  c.in_channels = in_channels;
  c.image_height = height;
  c.image_width = width;
  if (std::strcmp(size, "tiny") == 0) {
    c.width = 192, c.heads = 3;
  } else if (std::strcmp(size, "small") == 0) {
    c.width = 384, c.heads = 6;
  } else if (std::strcmp(size, "base") == 0) {
    c.width = 768, c.heads = 12;
  } else {
    throw Error(str("vit_config: unknown size '", size, "'; use tiny, small or base"));
  }
  return c;
}

ViTAttention::ViTAttention(int width, int heads, Generator& gen) : heads_(heads) {
  LEARNER_CHECK(heads > 0 && width % heads == 0, "ViT attention: width ", width,
                " is not a multiple of ", heads, " heads");
  qkv = register_module("qkv", timm_linear(width, 3 * width, gen));
  proj = register_module("proj", timm_linear(width, width, gen));
}

Tensor ViTAttention::forward(const Tensor& x) {
  return apply_rows(*proj, self_attention(apply_rows(*qkv, x), heads_));
}

ViTMlp::ViTMlp(int width, int hidden, Generator& gen) {
  fc1 = register_module("fc1", timm_linear(width, hidden, gen));
  fc2 = register_module("fc2", timm_linear(hidden, width, gen));
}

Tensor ViTMlp::forward(const Tensor& x) { return apply_rows(*fc2, gelu(apply_rows(*fc1, x))); }

ViTBlock::ViTBlock(const ViTConfig& config, Generator& gen) {
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(config.width, config.eps));
  attn = register_module("attn", std::make_shared<ViTAttention>(config.width, config.heads, gen));
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(config.width, config.eps));
  mlp = register_module("mlp", std::make_shared<ViTMlp>(config.width, config.mlp_ratio * config.width, gen));
}

Tensor ViTBlock::forward(const Tensor& x) {
  const Tensor h = add(x, attn->forward(norm1->forward(x)));
  return add(h, mlp->forward(norm2->forward(h)));
}

PatchEmbed::PatchEmbed(int in_channels, int width, int patch, Generator& gen) {
  nn::Conv2dOptions options;
  options.kernel = options.stride = patch;
  proj = register_module("proj", std::make_shared<nn::Conv2d>(in_channels, width, options, gen));
}

Tensor PatchEmbed::forward(const Tensor& x) { return patch_embed(x, proj->weight, proj->bias); }

VisionTransformer::VisionTransformer(const ViTConfig& config, Generator& gen) : config_(config) {
  LEARNER_CHECK(config.image_height >= config.patch && config.image_width >= config.patch,
                "ViT: frames of ", config.image_height, " x ", config.image_width, " are smaller than one ",
                config.patch, " x ", config.patch, " patch; pack with a larger --size");
  const int64_t tokens = 1 + int64_t{config.image_height / config.patch} * (config.image_width / config.patch);
  // timm's order of creation: patch_embed, then the tokens, blocks and norm.
  patch_embed = register_module("patch_embed",
                                std::make_shared<PatchEmbed>(config.in_channels, config.width, config.patch, gen));
  cls_token = Tensor::empty({1, 1, config.width});
  pos_embed = Tensor::empty({1, tokens, config.width});
  nn::trunc_normal_(pos_embed, 0.f, 0.02f, -2.f, 2.f, gen);
  nn::normal_(cls_token, 0.f, 1e-6f, gen);
  register_parameter("cls_token", &cls_token);
  register_parameter("pos_embed", &pos_embed);
  blocks = register_module("blocks", std::make_shared<nn::Sequential>());
  for (int i = 0; i < config.depth; ++i) blocks->add(std::make_shared<ViTBlock>(config, gen));
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(config.width, config.eps));
}

Tensor VisionTransformer::blocks_output(const Tensor& x) {
  check_rank(x, 4, "ViT", "x");
  LEARNER_CHECK(x.size(1) == config_.in_channels && x.size(2) == config_.image_height &&
                    x.size(3) == config_.image_width,
                "ViT: expected frames of ", config_.in_channels, " x ", config_.image_height, " x ",
                config_.image_width, " (C x H x W), got ", x.describe());
  const Tensor tokens = add_broadcast(prepend_token(patch_embed->forward(x), cls_token), pos_embed);
  return blocks->forward(tokens);
}

Tensor VisionTransformer::forward_tokens(const Tensor& x) { return norm->forward(blocks_output(x)); }

Tensor VisionTransformer::forward(const Tensor& x) {
  const Tensor h = blocks_output(x);
  // LayerNorm is per token, so normalising only the cls token gives timm's norm(x)[:, 0].
  const Tensor cls = reshape(slice(h, 1, 0, 1), {h.size(0), h.size(2)});
  return norm->forward(cls);
}

}  // namespace learner::models
