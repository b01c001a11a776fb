// Model checkpoints and the torchvision import.
#include "models/checkpoint.h"

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "framework/ops/reduce.h"
#include "models/swin_import.h"
#include "models/timesformer_import.h"
#include "models/videomae_import.h"
#include "models/vit_import.h"

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

namespace {

void init_resnet(const std::string& path, const SafetensorsFile& file, VideoEncoder& encoder) {
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

void init_vit(const std::string& path, const SafetensorsFile& file, ViTEncoder& encoder) {
  LEARNER_CHECK(file.find("cls_token") != nullptr && file.find("pos_embed") != nullptr, path,
                ": neither a learner ViT checkpoint (encoder.cls_token) nor a timm VisionTransformer "
                "state_dict (cls_token, pos_embed); export one with "
                "safetensors.torch.save_file(timm_model.state_dict())");
  nn::load_state_dict(encoder, timm_vit_for_encoder(file, encoder.vit->config(), path), "encoder.", path);
}

}  // namespace

void init_encoder(const std::string& path, ClipEncoder& encoder) {
  const SafetensorsFile file = read_safetensors(path);
  // (VideoMAE's pre-training files name their encoder "encoder." too: Swin's own tensors tell.)
  const bool ours = file.find("encoder.conv1.weight") != nullptr || file.find("encoder.cls_token") != nullptr ||
                    file.find("encoder.layers.0.blocks.0.attn.relative_position_bias_table") != nullptr;
  if (ours) {
    SafetensorsFile encoder_only;
    for (const auto& [name, t] : file.tensors)
      if (name.rfind("encoder.", 0) == 0) encoder_only.tensors.emplace_back(name, t);
    nn::load_state_dict(encoder, encoder_only, "encoder.", path);
    return;
  }
  if (auto* vit = dynamic_cast<ViTEncoder*>(&encoder)) return init_vit(path, file, *vit);
  if (auto* mae = dynamic_cast<VideoMAEEncoder*>(&encoder))
    return nn::load_state_dict(*mae, videomae_for_encoder(file, mae->videomae->config(), path), "encoder.", path);
  if (auto* tsf = dynamic_cast<TimeSformerEncoder*>(&encoder))
    return nn::load_state_dict(*tsf, timesformer_for_encoder(file, tsf->timesformer->config(), path), "encoder.",
                               path);
  if (auto* swin = dynamic_cast<SwinEncoder*>(&encoder)) {
    LEARNER_CHECK(file.find("patch_embed.proj.weight") != nullptr && file.find("patch_embed.norm.weight") != nullptr,
                  path, ": neither a learner Swin checkpoint (encoder.patch_embed.proj.weight) nor a timm "
                  "SwinTransformer state_dict (patch_embed.proj.weight, patch_embed.norm.weight); export one with "
                  "safetensors.torch.save_file(timm_model.state_dict())");
    return nn::load_state_dict(*swin, swin_for_encoder(file, *swin->swin, path), "encoder.", path);
  }
  init_resnet(path, file, dynamic_cast<VideoEncoder&>(encoder));
}

}  // namespace learner::models
