// The clip encoders on top of their backbones.
#include "models/video_encoder.h"

#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/temporal_shift.h"
#include "models/swin.h"
#include "models/timesformer.h"
#include "models/videomae.h"

namespace learner::models {

bool is_transformer(Backbone backbone) {
  return backbone == Backbone::ViTTiny || backbone == Backbone::ViTSmall || backbone == Backbone::ViTBase ||
         is_videomae(backbone) || is_timesformer(backbone) || is_swin(backbone);
}

bool is_swin(Backbone backbone) { return backbone == Backbone::SwinTiny; }

bool is_videomae(Backbone backbone) {
  return backbone == Backbone::VideoMAETiny || backbone == Backbone::VideoMAESmall ||
         backbone == Backbone::VideoMAEBase;
}

bool is_timesformer(Backbone backbone) {
  return backbone == Backbone::TimeSformerTiny || backbone == Backbone::TimeSformerBase;
}

ClipEncoder::ClipEncoder(const EncoderOptions& options) : options_(options) {
  LEARNER_CHECK(options.frames > 0, "encoder: frames must be positive, got ", options.frames);
  LEARNER_CHECK(options.in_channels > 0, "encoder: channels must be positive, got ", options.in_channels);
}

int64_t ClipEncoder::clips_in(const Tensor& x) const {
  check_rank(x, 4, "encoder", "x");
  const int64_t T = options_.frames;
  LEARNER_CHECK(x.size(0) % T == 0, "encoder: ", x.size(0), " frames do not form clips of T = ", T,
                " frames (input ", x.describe(), ")");
  LEARNER_CHECK(x.size(1) == options_.in_channels, "encoder: expected ", options_.in_channels,
                " channel(s) per frame, got ", x.describe());
  return x.size(0) / T;
}

VideoEncoder::VideoEncoder(const EncoderOptions& options, Generator& gen) : ClipEncoder(options) {
  LEARNER_CHECK(options.backbone == Backbone::TSM || options.backbone == Backbone::ResNet2D,
                "VideoEncoder: not a ResNet backbone");
  LEARNER_CHECK(options.fold_div > 0, "VideoEncoder: fold_div must be positive, got ", options.fold_div);
  resnet = register_module("", std::make_shared<ResNet18>(ResNetOptions{options.in_channels, 0}, gen));
  if (options.backbone == Backbone::TSM) {
    const int frames = options.frames, fold_div = options.fold_div;
    for (auto& block : resnet->blocks())
      block->set_branch_input_transform(
          [frames, fold_div](const Tensor& x) { return temporal_shift(x, frames, fold_div); });
  }
}

int VideoEncoder::embedding_width() const {
  return options_.backbone == Backbone::TSM ? ResNet18::kFeatures : options_.frames * ResNet18::kFeatures;
}

Tensor VideoEncoder::forward(const Tensor& x) {
  const int64_t B = clips_in(x), T = options_.frames;
  const Tensor features = resnet->forward(x);  // (B*T, 512)
  if (options_.backbone == Backbone::TSM) return mean(reshape(features, {B, T, ResNet18::kFeatures}), 1);
  return reshape(features, {B, T * ResNet18::kFeatures});
}

namespace {
const char* vit_size(Backbone backbone) {
  switch (backbone) {
    case Backbone::ViTTiny: return "tiny";
    case Backbone::ViTSmall: return "small";
    case Backbone::ViTBase: return "base";
    default: break;
  }
  throw Error("ViTEncoder: not a ViT backbone");
}
}  // namespace

ViTEncoder::ViTEncoder(const EncoderOptions& options, Generator& gen) : ClipEncoder(options) {
  vit = register_module("", std::make_shared<VisionTransformer>(
                                vit_config(vit_size(options.backbone), options.in_channels,
                                           options.image_height, options.image_width),
                                gen));
}

int ViTEncoder::embedding_width() const { return vit->config().width; }

Tensor ViTEncoder::forward(const Tensor& x) {
  const int64_t B = clips_in(x), T = options_.frames;
  const Tensor features = vit->forward(x);  // (B*T, D)
  return mean(reshape(features, {B, T, features.size(1)}), 1);
}

std::shared_ptr<ClipEncoder> make_encoder(const EncoderOptions& options, Generator& gen) {
  if (is_videomae(options.backbone)) return std::make_shared<VideoMAEEncoder>(options, gen);
  if (is_timesformer(options.backbone)) return std::make_shared<TimeSformerEncoder>(options, gen);
  if (is_swin(options.backbone)) return std::make_shared<SwinEncoder>(options, gen);
  if (is_transformer(options.backbone)) return std::make_shared<ViTEncoder>(options, gen);
  return std::make_shared<VideoEncoder>(options, gen);
}

}  // namespace learner::models
