// Importing facebookresearch/TimeSformer weights (safetensors.torch.save_file(model.state_dict()))
// into a TimeSformer encoder. Three kinds of reference file are accepted:
//   - the VisionTransformer's state_dict: cls_token, pos_embed, time_embed, patch_embed.*,
//     blocks.*, norm.*, head.* (dropped: the classifier is not part of the encoder);
//   - the TimeSformer wrapper's (and the released checkpoints' model_state): the same names
//     under "model.", which is stripped as the reference's load_state_dict strips it;
//   - a per-frame ViT without time_embed or temporal_attn (timm's ViT, the reference's
//     vit_base_patch16_224, a space_only TimeSformer), inflated as the reference's
//     load_pretrained does it: blocks.i.attn.* copied into blocks.i.temporal_attn.*, norm1 into
//     temporal_norm1, time_embed and every temporal_fc left at the reference's init, zero.
// (learner's own checkpoint, encoder.*, is loaded by init_encoder before this is reached.)
// A one-channel encoder gets the patch embedding's RGB filters summed (the reference's
// load_pretrained for in_chans = 1). A pos_embed of another grid is resized as the reference's
// forward_features resizes it at run time: F.interpolate(mode='nearest') of the square source
// grid to the run's (H/16) x (W/16), the cls entry kept; a time_embed of another length T' is
// resized to T as both load_pretrained and forward_features do: nearest over time. A
// joint_space_time file (time_embed without temporal_attn) is refused by name; every other
// mismatch (another width, depth or patch size; a missing tensor; a layer scale) is named by
// load_state_dict.
#pragma once

#include <string>

#include "framework/safetensors.h"
#include "models/timesformer.h"

namespace learner::models {

// PyTorch's nearest source index for output `o` of `out` samples from `in`
// (upsample nearest, size given): in == out: o; out == 2 in: o / 2; else
// min(floor(o * (float(in) / out)), in - 1), the product in float as PyTorch computes it.
int64_t nearest_source_index(int64_t o, int64_t in, int64_t out);

// pos_embed (1, 1 + Hs Ws, D) -> (1, 1 + Ht Wt, D), nearest on the grid, the cls entry copied.
Tensor nearest_pos_embed(const Tensor& pos_embed, int64_t Hs, int64_t Ws, int64_t Ht, int64_t Wt);
// time_embed (1, Ts, D) -> (1, Tt, D), nearest over time.
Tensor nearest_time_embed(const Tensor& time_embed, int64_t Tt);

// The file's tensors under "encoder." + our names, adapted to `config`; `path` names the file
// in every message.
SafetensorsFile timesformer_for_encoder(const SafetensorsFile& file, const TimeSformerConfig& config,
                                        const std::string& path);

}  // namespace learner::models
