// TSM-ResNet18 and the 2D-ResNet baseline on top of ResNet18 without fc.
#include "models/video_encoder.h"

#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/temporal_shift.h"

namespace learner::models {

VideoEncoder::VideoEncoder(const EncoderOptions& options, Generator& gen)
    : ResNet18(ResNetOptions{options.in_channels, 0}, gen), options_(options) {
  LEARNER_CHECK(options.frames > 0, "VideoEncoder: frames must be positive, got ", options.frames);
  LEARNER_CHECK(options.fold_div > 0, "VideoEncoder: fold_div must be positive, got ", options.fold_div);
  if (options.backbone == Backbone::TSM) {
    const int frames = options.frames, fold_div = options.fold_div;
    for (auto& block : blocks())
      block->set_branch_input_transform(
          [frames, fold_div](const Tensor& x) { return temporal_shift(x, frames, fold_div); });
  }
}

int VideoEncoder::embedding_width() const {
  return options_.backbone == Backbone::TSM ? kFeatures : options_.frames * kFeatures;
}

Tensor VideoEncoder::forward(const Tensor& x) {
  check_rank(x, 4, "VideoEncoder", "x");
  const int64_t T = options_.frames;
  LEARNER_CHECK(x.size(0) % T == 0, "VideoEncoder: ", x.size(0), " frames do not form clips of T = ", T,
                " frames (input ", x.describe(), ")");
  LEARNER_CHECK(x.size(1) == options_.in_channels, "VideoEncoder: expected ", options_.in_channels,
                " channel(s) per frame, got ", x.describe());
  const int64_t B = x.size(0) / T;
  const Tensor features = ResNet18::forward(x);  // (B*T, 512)
  if (options_.backbone == Backbone::TSM) return mean(reshape(features, {B, T, kFeatures}), 1);
  return reshape(features, {B, T * kFeatures});
}

}  // namespace learner::models
