// Importing MCG-NJU/VideoMAE weights (safetensors.torch.save_file(model.state_dict())) into a
// VideoMAE encoder. Three kinds of file are told apart by their names:
//   - a fine-tuning VisionTransformer (modeling_finetune.py): patch_embed.*, blocks.*, fc_norm.*,
//     head.* (dropped, the classifier is not part of the encoder);
//   - a pre-training PretrainVisionTransformer (modeling_pretrain.py): encoder.*, decoder.*,
//     encoder_to_decoder.*, mask_token. As the reference's run_class_finetuning.py loads it: the
//     encoder's tensors lose their "encoder." prefix, the decoder is dropped, and the encoder's
//     final `norm` is dropped (the fine-tuning model's mean pooling has Identity there and a
//     fresh fc_norm: weight 1, bias 0, the reference's init);
//   - a learner checkpoint (encoder.fc_norm.weight without decoder.*): the encoder.* tensors.
// In every kind, a one-channel encoder gets the patch embedding's RGB filters summed; a
// `pos_embed` tensor (the reference keeps its sinusoid table out of the state_dict, but a
// converted file may carry it) is checked to be that fixed table and dropped, since ours is
// recomputed for any T, H, W; a learned one (use_learnable_pos_emb) and layer scale
// (gamma_1/gamma_2: init_values > 0) are refused by name. Everything else that does not fit
// (another width, depth, tubelet or patch size; a missing tensor) is named by load_state_dict.
#pragma once

#include <string>

#include "framework/safetensors.h"
#include "models/videomae.h"

namespace learner::models {

// The file's tensors under "encoder." + our names, adapted to `config`; `path` names the file
// in every message.
SafetensorsFile videomae_for_encoder(const SafetensorsFile& file, const VideoMAEConfig& config,
                                     const std::string& path);

}  // namespace learner::models
