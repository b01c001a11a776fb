// Heads and the stage-1 / stage-2 models.
#include "models/heads.h"

#include "framework/ops/elementwise.h"
#include "framework/ops/shape.h"

namespace learner::models {

std::shared_ptr<nn::Sequential> make_mlp_head(int in_features, int out_features, Generator& gen) {
  auto head = std::make_shared<nn::Sequential>();
  head->add(std::make_shared<nn::Linear>(in_features, 256, true, gen));
  head->add(std::make_shared<nn::ReLU>());
  head->add(std::make_shared<nn::Linear>(256, out_features, true, gen));
  return head;
}

PretrainModel::PretrainModel(const EncoderOptions& options, Generator& gen) {
  encoder = register_module("encoder", make_encoder(options, gen));
  head = register_module("head", make_mlp_head(encoder->embedding_width(), 1, gen));
}

PretrainModel::Output PretrainModel::run(const Tensor& x) {
  Output out;
  out.embedding = encoder->forward(x);
  const Tensor y = head->forward(out.embedding);  // (B, 1)
  out.prediction = reshape(y, {y.size(0)});
  return out;
}

Tensor PretrainModel::forward(const Tensor& x) { return run(x).prediction; }

PairClassifier::PairClassifier(int embedding_width, Generator& gen) {
  classifier = register_module("classifier", make_mlp_head(3 * embedding_width, 3, gen));
}

Tensor PairClassifier::classify(const Tensor& u_a, const Tensor& u_b) {
  check_same_shape(u_a, u_b, "PairClassifier");
  return forward(concat({u_a, u_b, sub(u_b, u_a)}, 1));
}

Tensor PairClassifier::forward(const Tensor& pair_features) { return classifier->forward(pair_features); }

}  // namespace learner::models
