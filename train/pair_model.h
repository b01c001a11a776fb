// The stage-2 model as `learner classify` saves it (RUN/checkpoints/classifier.safetensors:
// the frozen encoder as encoder.*, the pair classifier as classifier.*), and what it reads
// and gives per pair. Shared by classify, eval and predict so that all three build the
// classifier's input and read its output the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/heads.h"
#include "train/pretrained.h"

namespace learner::train {

struct TrainedPairModel {
  std::unique_ptr<models::PretrainModel> model;        // encoder (and an untrained regression head)
  std::unique_ptr<models::PairClassifier> classifier;
};

// Loads `checkpoint` (a classifier file: encoder.* and classifier.*) for clips of `channels`
// channels and frames of height x width (the ViT's token grid depends on it), in eval mode on
// `device`; errors name the file and the missing or misshapen tensor.
TrainedPairModel load_pair_model(const std::string& checkpoint, const EncoderSpec& spec, int channels, int height,
                                 int width, Device device);

// The classifier's input for scan a followed by scan b (SPEC section 5): [u_a, u_b, u_b - u_a],
// appended to `out`.
void append_pair_features(std::vector<float>& out, const float* u_a, const float* u_b, int64_t width);

struct PairOutput {
  int64_t prediction = 0;            // argmax: 0 improved, 1 same, 2 deteriorated
  std::vector<float> probabilities;  // softmax of the 3 logits
};
// Runs the classifier without a graph (eval mode) on (P, 3E) pair features.
std::vector<PairOutput> classify_pair_features(models::PairClassifier& classifier, const Tensor& features);

// Cosine distance 1 - <a, b> / max(|a| |b|, 1e-8), as in the embedding analysis (paper Fig. 1).
double cosine_distance(const float* a, const float* b, int64_t width);

}  // namespace learner::train
