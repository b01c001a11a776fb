// Importing a Swin state_dict into a Swin encoder: timm's SwinTransformer names
// (safetensors.torch.save_file(model.state_dict())) or the original Microsoft layout (patch
// merging at the end of stages 1-3, `layers.i.downsample` for i = 0..2, with the
// relative_position_index and attn_mask buffers saved). The classifier head and the buffers
// are dropped; a one-channel encoder gets the patch embedding's RGB filters summed; a relative
// position bias table made for a larger window is cropped to the block's window around offset
// (0, 0) (docs/spec-notes.md: what timm's resize does when it shrinks a table, without its 1 %
// stretch). Tensors that still do not fit are left for load_state_dict to name.
#pragma once

#include <string>

#include "framework/safetensors.h"
#include "models/swin.h"

namespace learner::models {

// table ((2S - 1)^2, heads) for an S x S window -> ((2 wh - 1)(2 ww - 1), heads), keeping the
// entry of every relative offset (dy, dx) with |dy| < wh, |dx| < ww. wh, ww <= S.
Tensor crop_relative_position_table(const Tensor& table, int64_t wh, int64_t ww, const std::string& what);

SafetensorsFile swin_for_encoder(const SafetensorsFile& file, SwinTransformer& model, const std::string& path);

}  // namespace learner::models
