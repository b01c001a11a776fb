// TimeSformer's divided space-time VisionTransformer, block by block, on the framework's ops
// (no op of its own: the token re-orderings are reshapes, permutes, slices and concats).
#include "models/timesformer.h"

#include <cstring>
#include <vector>

#include "framework/nn/init.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/tokens.h"

namespace learner::models {

namespace {

const char* timesformer_size(Backbone backbone) {
  switch (backbone) {
    case Backbone::TimeSformerTiny: return "tiny";
    case Backbone::TimeSformerBase: return "base";
    default: break;
  }
  throw Error("TimeSformerEncoder: not a TimeSformer backbone");
}

}  // namespace

TimeSformerConfig timesformer_config(const char* size, int in_channels, int frames, int height, int width) {
  TimeSformerConfig c;
  c.in_channels = in_channels;
  c.frames = frames;
  c.image_height = height;
  c.image_width = width;
  if (std::strcmp(size, "tiny") == 0) {
    c.width = 192, c.heads = 3;
  } else if (std::strcmp(size, "base") == 0) {
    c.width = 768, c.heads = 12;
  } else {
    throw Error(str("timesformer_config: unknown size '", size, "'; use tiny or base"));
  }
  return c;
}

TimeSformerBlock::TimeSformerBlock(const TimeSformerConfig& config, Generator& gen) : frames_(config.frames) {
  const int D = config.width;
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(D, config.eps));
  attn = register_module("attn", std::make_shared<ViTAttention>(D, config.heads, gen));
  temporal_norm1 = register_module("temporal_norm1", std::make_shared<nn::LayerNorm>(D, config.eps));
  temporal_attn = register_module("temporal_attn", std::make_shared<ViTAttention>(D, config.heads, gen));
  // The reference zeroes every block's temporal_fc after _init_weights (its loop skips the
  // first module whose repr names a Block, which is the ModuleList itself, not block 0), so
  // a fresh model starts as a per-frame ViT.
  temporal_fc = register_module("temporal_fc", std::make_shared<nn::Linear>(D, D, true, gen));
  nn::constant_(temporal_fc->weight, 0.f);
  nn::constant_(temporal_fc->bias, 0.f);
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(D, config.eps));
  mlp = register_module("mlp", std::make_shared<ViTMlp>(D, config.mlp_ratio * D, gen));
}

Tensor TimeSformerBlock::forward(const Tensor& x) {
  check_rank(x, 3, "TimeSformer block", "x");
  const int64_t B = x.size(0), N = x.size(1), D = x.size(2), T = frames_, L = (N - 1) / T;
  LEARNER_CHECK(N == 1 + L * T, "TimeSformer block: ", N, " tokens are not a cls token plus whole frames of T = ",
                T, " (input ", x.describe(), ")");
  const Tensor cls = slice(x, 1, 0, 1);      // (B, 1, D)
  const Tensor patches = slice(x, 1, 1, N);  // (B, L T, D), time-minor
  // Temporal: time-minor order makes each patch position's T tokens one contiguous sequence.
  const Tensor temporal = temporal_attn->forward(temporal_norm1->forward(reshape(patches, {B * L, T, D})));
  const Tensor xt = add(patches, apply_rows(*temporal_fc, reshape(temporal, {B, L * T, D})));
  // Spatial: one sequence per frame, the cls token in front of each. The sequences are
  // ordered (t, b), not the reference's (b, t): attention is per sequence, so their order
  // changes nothing, and with t outer the cls copies are a concat of T blocks and their
  // average a mean over the leading dimension.
  const Tensor frames = reshape(permute(reshape(xt, {B, L, T, D}), {2, 0, 1, 3}), {T * B, L, D});
  const Tensor with_cls = concat({concat(std::vector<Tensor>(static_cast<size_t>(T), cls), 0), frames}, 1);
  const Tensor spatial = attn->forward(norm1->forward(with_cls));  // (T B, 1 + L, D)
  const Tensor cls_res = reshape(mean(reshape(slice(spatial, 1, 0, 1), {T, B, D}), 0), {B, 1, D});
  const Tensor patch_res =
      reshape(permute(reshape(slice(spatial, 1, 1, 1 + L), {T, B, L, D}), {1, 2, 0, 3}), {B, L * T, D});
  const Tensor h = concat({add(cls, cls_res), add(xt, patch_res)}, 1);
  return add(h, mlp->forward(norm2->forward(h)));
}

TimeSformer::TimeSformer(const TimeSformerConfig& config, Generator& gen) : config_(config) {
  LEARNER_CHECK(config.frames > 0, "TimeSformer: frames must be positive, got ", config.frames);
  LEARNER_CHECK(config.image_height >= config.patch && config.image_width >= config.patch,
                "TimeSformer: frames of ", config.image_height, " x ", config.image_width, " are smaller than one ",
                config.patch, " x ", config.patch, " patch; pack with a larger --size");
  // The reference's order of creation: patch_embed, the tokens, blocks, norm.
  patch_embed = register_module("patch_embed",
                                std::make_shared<PatchEmbed>(config.in_channels, config.width, config.patch, gen));
  cls_token = Tensor::empty({1, 1, config.width});
  pos_embed = Tensor::empty({1, 1 + config.patches(), config.width});
  time_embed = Tensor::zeros({1, config.frames, config.width});  // the reference leaves it at zero
  nn::trunc_normal_(pos_embed, 0.f, 0.02f, -2.f, 2.f, gen);
  nn::trunc_normal_(cls_token, 0.f, 0.02f, -2.f, 2.f, gen);
  register_parameter("cls_token", &cls_token);
  register_parameter("pos_embed", &pos_embed);
  register_parameter("time_embed", &time_embed);
  blocks = register_module("blocks", std::make_shared<nn::Sequential>());
  for (int i = 0; i < config.depth; ++i) blocks->add(std::make_shared<TimeSformerBlock>(config, gen));
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(config.width, config.eps));
}

Tensor TimeSformer::embed(const Tensor& x) {
  const int64_t T = config_.frames, B = x.size(0) / T, L = config_.patches(), D = config_.width;
  // Every frame's tokens get the same pos_embed; the reference adds it to each frame's cls
  // copy and keeps one, which is cls_token + pos_embed[:, 0].
  const Tensor patches = add_broadcast(patch_embed->forward(x), slice(pos_embed, 1, 1, 1 + L));  // (B T, L, D)
  // (B, T, L, D) -> (B, L, T, D): space-major, time-minor, where time_embed repeats over (B, L).
  const Tensor timed = add_broadcast(permute(reshape(patches, {B, T, L, D}), {0, 2, 1, 3}), time_embed);
  const Tensor cls = add(cls_token, slice(pos_embed, 1, 0, 1));
  return prepend_token(reshape(timed, {B, L * T, D}), cls);
}

Tensor TimeSformer::forward(const Tensor& x) {
  check_rank(x, 4, "TimeSformer", "x");
  LEARNER_CHECK(x.size(1) == config_.in_channels && x.size(2) == config_.image_height &&
                    x.size(3) == config_.image_width && x.size(0) % config_.frames == 0,
                "TimeSformer: expected clips of ", config_.frames, " frames of ", config_.in_channels, " x ",
                config_.image_height, " x ", config_.image_width, " (C x H x W), got ", x.describe());
  const Tensor h = blocks->forward(embed(x));
  // LayerNorm is per token, so normalising only the cls token gives the reference's norm(x)[:, 0].
  return norm->forward(reshape(slice(h, 1, 0, 1), {h.size(0), h.size(2)}));
}

TimeSformerEncoder::TimeSformerEncoder(const EncoderOptions& options, Generator& gen) : ClipEncoder(options) {
  timesformer = register_module(
      "", std::make_shared<TimeSformer>(timesformer_config(timesformer_size(options.backbone), options.in_channels,
                                                           options.frames, options.image_height,
                                                           options.image_width),
                                        gen));
}

int TimeSformerEncoder::embedding_width() const { return timesformer->config().width; }

Tensor TimeSformerEncoder::forward(const Tensor& x) {
  clips_in(x);
  return timesformer->forward(x);
}

}  // namespace learner::models
