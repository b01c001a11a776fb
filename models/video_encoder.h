// The clip encoders: SPEC section 4 (TSM-ResNet18: temporal shift at the input of conv1 of
// every BasicBlock, clip embedding = mean over T of the pooled 512-d features; the 2D-ResNet
// baseline of the paper's Table 4: no shift, the T per-frame features concatenated, E = T * 512)
// and section 4b (ViT and Swin per frame, clip embedding = mean over T of the frame features;
// VideoMAE and TimeSformer on the whole clip).
// An encoder keeps its backbone's own tensor names (torchvision's resnet18 without fc,
// timm's VisionTransformer without head), so reference weights load under "encoder.".
#pragma once

#include <memory>
#include <string>

#include "models/resnet.h"
#include "models/vit.h"

namespace learner::models {

enum class Backbone {
  TSM,
  ResNet2D,
  ViTTiny,
  ViTSmall,
  ViTBase,
  VideoMAETiny,
  VideoMAESmall,
  VideoMAEBase,
  TimeSformerTiny,
  TimeSformerBase,
  SwinTiny
};

// True for the transformer backbones (section 4b).
bool is_transformer(Backbone backbone);
bool is_videomae(Backbone backbone);  // one clip at a time (VideoMAEEncoder, models/videomae.h)
bool is_timesformer(Backbone backbone);  // one clip at a time (TimeSformerEncoder, models/timesformer.h)
bool is_swin(Backbone backbone);  // per frame (SwinEncoder, models/swin.h)

struct EncoderOptions {
  Backbone backbone = Backbone::TSM;
  int frames = 8;        // T
  int in_channels = 1;   // C: 1 grayscale, 3 RGB
  int fold_div = 8;      // shift fold = C / fold_div channels each way
  // The frame size the transformers' position embeddings are built for (ResNets take any).
  int image_height = 112, image_width = 112;
};

// A clip encoder: x (B*T, C, H, W), the frames of a clip contiguous -> u (B, E).
class ClipEncoder : public nn::Module {
 public:
  explicit ClipEncoder(const EncoderOptions& options);
  virtual int embedding_width() const = 0;
  const EncoderOptions& options() const { return options_; }

 protected:
  // Checks x against the options; returns B.
  int64_t clips_in(const Tensor& x) const;
  EncoderOptions options_;
};

// TSM-ResNet18 or the 2D-ResNet baseline.
class VideoEncoder : public ClipEncoder {
 public:
  explicit VideoEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  int embedding_width() const override;
  std::shared_ptr<ResNet18> resnet;  // registered without a name component
};

// ViT-Tiny/Small/Base per frame, the T frame features averaged.
class ViTEncoder : public ClipEncoder {
 public:
  explicit ViTEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  int embedding_width() const override;
  std::shared_ptr<VisionTransformer> vit;  // registered without a name component
};

std::shared_ptr<ClipEncoder> make_encoder(const EncoderOptions& options, Generator& gen = default_generator());

}  // namespace learner::models
