// Checkpoint files for the models: safetensors with PyTorch names (SPEC section 8), and
// the import of a torchvision ResNet-18 state_dict into a video encoder.
#pragma once

#include <map>
#include <string>

#include "framework/nn/module.h"
#include "models/video_encoder.h"

namespace learner::models {

// Writes every parameter and buffer of `module` (atomic write).
void save_module(const std::string& path, nn::Module& module,
                 const std::map<std::string, std::string>& metadata = {});

// Loads a file written by save_module (or PyTorch with the same names, or a training
// checkpoint, whose optimizer.* tensors are skipped) into `module`; every missing,
// unexpected or mis-shaped tensor is reported by name.
void load_module(const std::string& path, nn::Module& module);

// Initialises an encoder from our checkpoint (names under "encoder.") or from the reference's
// state_dict (names without prefix): a torchvision ResNet-18 for the ResNet encoders (fc
// dropped), timm's VisionTransformer for ViT (models/vit_import.h). For a one-channel encoder
// the first layer's RGB weights are summed over the input channels.
void init_encoder(const std::string& path, ClipEncoder& encoder);

}  // namespace learner::models
