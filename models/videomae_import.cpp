// VideoMAE import: the three kinds of file, the RGB-to-gray tubelet filters, the fixed table.
#include "models/videomae_import.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/reduce.h"

namespace learner::models {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool has_prefix(const SafetensorsFile& file, const std::string& prefix) {
  return std::any_of(file.tensors.begin(), file.tensors.end(),
                     [&](const auto& named) { return starts_with(named.first, prefix); });
}

// Accepts a pos_embed that is the reference's sinusoid table for its own token count.
void check_fixed_table(const Tensor& t, const std::string& name, const std::string& path) {
  LEARNER_CHECK(t.dim() == 3 && t.size(0) == 1, path, ": ", name, " ", t.describe(),
                " is not a (1, tokens, D) position table");
  const std::vector<float> got = t.to(Device::cpu()).to_vector();
  const std::vector<float> table = sinusoid_table(t.size(1), t.size(2)).to_vector();
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double{got[i]} - table[i]));
  LEARNER_CHECK(worst <= 1e-5, path, ": ", name, " ", t.describe(),
                " is not VideoMAE's fixed sinusoid table (differs by ", worst,
                "); a learned position embedding (use_learnable_pos_emb=True) is not supported by videomae-*");
}

}  // namespace

SafetensorsFile videomae_for_encoder(const SafetensorsFile& file, const VideoMAEConfig& config,
                                     const std::string& path) {
  const bool pretraining = has_prefix(file, "decoder.") || file.find("encoder_to_decoder.weight") != nullptr;
  const bool ours = !pretraining && file.find("encoder.fc_norm.weight") != nullptr;
  LEARNER_CHECK(pretraining || ours || file.find("patch_embed.proj.weight") != nullptr, path,
                ": neither a learner VideoMAE checkpoint (encoder.fc_norm.weight), a VideoMAE fine-tuning "
                "state_dict (patch_embed.proj.weight) nor a VideoMAE pre-training state_dict (encoder.*, "
                "decoder.*); export one with safetensors.torch.save_file(model.state_dict())");
  SafetensorsFile renamed;
  for (const auto& [stored, t] : file.tensors) {
    std::string name = stored;
    if (pretraining || ours) {
      if (!starts_with(name, "encoder.")) continue;  // decoder, encoder_to_decoder, mask_token, pos_embed
      name = name.substr(8);
      // The pre-training encoder's final norm (and its Identity head) have no place in the
      // mean-pooling fine-tuning model.
      if (pretraining && (starts_with(name, "norm.") || starts_with(name, "head."))) continue;
    }
    if (starts_with(name, "head.")) continue;  // the classifier is not part of the encoder
    LEARNER_CHECK(name.find("gamma_1") == std::string::npos && name.find("gamma_2") == std::string::npos, path,
                  ": ", stored, " is a layer scale (the reference's init_values > 0), which videomae-* does "
                  "not have; use a checkpoint trained with init_values = 0 (the reference's default)");
    if (name == "pos_embed") {
      check_fixed_table(t, stored, path);
      continue;  // recomputed for this T, H, W
    }
    Tensor value = t;
    if (name == "patch_embed.proj.weight" && t.dim() == 5 && t.size(1) == 3 && config.in_channels == 1) {
      NoGradGuard no_grad;
      value = sum(t, 1, /*keepdim=*/true);  // grayscale sees the sum of the RGB filters
    }
    renamed.tensors.emplace_back("encoder." + name, value);
  }
  if (pretraining) {
    // The reference leaves fc_norm at its init when fine-tuning from a pre-training checkpoint.
    renamed.tensors.emplace_back("encoder.fc_norm.weight", Tensor::ones({config.width}));
    renamed.tensors.emplace_back("encoder.fc_norm.bias", Tensor::zeros({config.width}));
  }
  return renamed;
}

}  // namespace learner::models
