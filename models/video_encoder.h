// The clip encoders of SPEC section 4: TSM-ResNet18 (temporal shift at the input of
// conv1 of every BasicBlock, clip embedding = mean over T of the pooled 512-d features)
// and the 2D-ResNet baseline of the paper's Table 4 (no shift, the T per-frame features
// concatenated, E = T * 512). Tensor names are torchvision's resnet18 names without fc.
#pragma once

#include "models/resnet.h"

namespace learner::models {

enum class Backbone { TSM, ResNet2D };

struct EncoderOptions {
  Backbone backbone = Backbone::TSM;
  int frames = 8;        // T
  int in_channels = 1;   // C: 1 grayscale, 3 RGB
  int fold_div = 8;      // shift fold = C / fold_div channels each way
};

class VideoEncoder : public ResNet18 {
 public:
  explicit VideoEncoder(const EncoderOptions& options, Generator& gen = default_generator());
  // x is (B*T, C, H, W), the frames of a clip contiguous -> u (B, E).
  Tensor forward(const Tensor& x) override;
  int embedding_width() const;
  const EncoderOptions& options() const { return options_; }

 private:
  EncoderOptions options_;
};

}  // namespace learner::models
