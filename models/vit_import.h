// Importing timm's VisionTransformer state_dict (safetensors.torch.save_file(model.state_dict()))
// into a ViT encoder: the classifier head is dropped, a one-channel encoder gets the patch
// embedding's RGB filters summed, and a position embedding made for another image size is
// resampled as timm's resample_abs_pos_embed does it (bicubic with antialiasing, the cls
// token's entry kept, a square source grid assumed).
#pragma once

#include <string>

#include "framework/safetensors.h"
#include "models/vit.h"

namespace learner::models {

// The spatial part of pos_embed, (1, prefix + Hs*Ws, D), resampled to an Ht x Wt grid as
// torch.nn.functional.interpolate(mode = "bicubic", antialias = True, align_corners = False):
// separable Keys cubic filters (a = -0.5) widened by the scale when shrinking, with weights
// normalised over the taps inside the image. The first `prefix` tokens are copied.
Tensor resample_pos_embed(const Tensor& pos_embed, int64_t prefix, int64_t Hs, int64_t Ws, int64_t Ht,
                          int64_t Wt);

// timm's tensors renamed under "encoder." and adapted to `config`; `path` names the file in
// every message. Tensors that do not fit (a different width, depth, patch) are left for
// load_state_dict to report by name.
SafetensorsFile timm_vit_for_encoder(const SafetensorsFile& timm, const ViTConfig& config,
                                     const std::string& path);

}  // namespace learner::models
