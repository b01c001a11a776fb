// The heads of SPEC section 5 and the two trainable models built from them, with the
// tensor names of SPEC section 8 (encoder.*, head.0/2.*, classifier.0/2.*).
#pragma once

#include <memory>

#include "framework/nn/layers.h"
#include "models/video_encoder.h"

namespace learner::models {

// Linear(in, 256) -> ReLU -> Linear(256, out): the regression head (out 1) and the pair
// classifier (in 3E, out 3) share this shape.
std::shared_ptr<nn::Sequential> make_mlp_head(int in_features, int out_features, Generator& gen);

// Stage 1: encoder + regression head.
class PretrainModel : public nn::Module {
 public:
  explicit PretrainModel(const EncoderOptions& options, Generator& gen = default_generator());
  struct Output {
    Tensor embedding;   // u, (B, E)
    Tensor prediction;  // y_hat, (B)
  };
  Output run(const Tensor& x);                      // x is (B*T, C, H, W)
  Tensor forward(const Tensor& x) override;         // y_hat only

  std::shared_ptr<ClipEncoder> encoder;
  std::shared_ptr<nn::Sequential> head;
};

// Stage 2: a classifier on pairs of (frozen) embeddings: [u_a, u_b, u_b - u_a] -> 3 logits
// (0 improved, 1 same, 2 deteriorated).
class PairClassifier : public nn::Module {
 public:
  PairClassifier(int embedding_width, Generator& gen = default_generator());
  Tensor classify(const Tensor& u_a, const Tensor& u_b);  // (P, E), (P, E) -> (P, 3)
  Tensor forward(const Tensor& pair_features) override;   // (P, 3E) -> (P, 3)

  std::shared_ptr<nn::Sequential> classifier;
};

}  // namespace learner::models
