// Loading and running the stage-2 pair model.
#include "train/pair_model.h"

#include <algorithm>
#include <cmath>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"

namespace learner::train {

TrainedPairModel load_pair_model(const std::string& checkpoint, const EncoderSpec& spec, int channels, int height,
                                 int width, Device device) {
  const SafetensorsFile file = read_safetensors(checkpoint);
  SafetensorsFile encoder_part, classifier_part;
  for (const auto& [name, t] : file.tensors)
    (name.rfind("encoder.", 0) == 0 ? encoder_part : classifier_part).tensors.emplace_back(name, t);
  models::EncoderOptions encoder_options;
  encoder_options.backbone = spec.backbone;
  encoder_options.frames = spec.frames;
  encoder_options.in_channels = channels;
  encoder_options.image_height = height;
  encoder_options.image_width = width;
  TrainedPairModel out;
  out.model = std::make_unique<models::PretrainModel>(encoder_options);
  nn::load_state_dict(*out.model->encoder, encoder_part, "encoder.", checkpoint);
  out.classifier = std::make_unique<models::PairClassifier>(out.model->encoder->embedding_width());
  nn::load_state_dict(*out.classifier, classifier_part, "", checkpoint);
  out.model->to(device);
  out.classifier->to(device);
  out.model->eval();
  out.classifier->eval();
  return out;
}

void append_pair_features(std::vector<float>& out, const float* u_a, const float* u_b, int64_t width) {
  out.insert(out.end(), u_a, u_a + width);
  out.insert(out.end(), u_b, u_b + width);
  for (int64_t k = 0; k < width; ++k) out.push_back(u_b[k] - u_a[k]);
}

std::vector<PairOutput> classify_pair_features(models::PairClassifier& classifier, const Tensor& features) {
  NoGradGuard no_grad;
  classifier.eval();
  const std::vector<float> logits = classifier(features).to_vector();
  std::vector<PairOutput> out(logits.size() / 3);
  for (size_t i = 0; i < out.size(); ++i) {
    const float* l = logits.data() + i * 3;
    out[i].prediction = std::max_element(l, l + 3) - l;
    const float m = *std::max_element(l, l + 3);  // shifted by the maximum: exp cannot overflow
    double total = 0;
    for (int c = 0; c < 3; ++c) total += std::exp(static_cast<double>(l[c] - m));
    for (int c = 0; c < 3; ++c)
      out[i].probabilities.push_back(static_cast<float>(std::exp(static_cast<double>(l[c] - m)) / total));
  }
  return out;
}

double cosine_distance(const float* a, const float* b, int64_t width) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t k = 0; k < width; ++k) {
    dot += static_cast<double>(a[k]) * b[k];
    na += static_cast<double>(a[k]) * a[k];
    nb += static_cast<double>(b[k]) * b[k];
  }
  return 1.0 - dot / std::max(std::sqrt(na) * std::sqrt(nb), 1e-8);
}

}  // namespace learner::train
