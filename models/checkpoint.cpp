// Model checkpoints and the torchvision import.
#include "models/checkpoint.h"

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "framework/ops/reduce.h"

namespace learner::models {

void save_module(const std::string& path, nn::Module& module,
                 const std::map<std::string, std::string>& metadata) {
  write_safetensors(path, nn::state_dict(module), metadata);
}

void load_module(const std::string& path, nn::Module& module) {
  // A training checkpoint also holds optimizer.* state: the model part is the rest.
  SafetensorsFile model_part;
  for (auto& [name, t] : read_safetensors(path).tensors)
    if (name.rfind("optimizer.", 0) != 0) model_part.tensors.emplace_back(name, t);
  nn::load_state_dict(module, model_part, "", path);
}

void init_encoder(const std::string& path, VideoEncoder& encoder) {
  const SafetensorsFile file = read_safetensors(path);
  if (file.find("encoder.conv1.weight") != nullptr) {
    SafetensorsFile encoder_only;
    for (const auto& [name, t] : file.tensors)
      if (name.rfind("encoder.", 0) == 0) encoder_only.tensors.emplace_back(name, t);
    nn::load_state_dict(encoder, encoder_only, "encoder.", path);
    return;
  }
  LEARNER_CHECK(file.find("conv1.weight") != nullptr, path,
                ": neither a learner checkpoint (encoder.conv1.weight) nor a torchvision ResNet-18 "
                "state_dict (conv1.weight); export one with safetensors.torch.save_file(model.state_dict())");
  SafetensorsFile renamed;
  for (const auto& [name, t] : file.tensors) {
    if (name.rfind("fc.", 0) == 0) continue;  // the ImageNet classifier is not part of the encoder
    Tensor value = t;
    if (name == "conv1.weight" && t.dim() == 4 && t.size(1) == 3 && encoder.options().in_channels == 1) {
      NoGradGuard no_grad;
      value = sum(t, 1, /*keepdim=*/true);  // grayscale sees the sum of the RGB filters
    }
    renamed.tensors.emplace_back("encoder." + name, value);
  }
  nn::load_state_dict(encoder, renamed, "encoder.", path);
}

}  // namespace learner::models
