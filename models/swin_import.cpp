// Swin import: renaming, the RGB-to-gray patch filters and the bias-table crop.
#include "models/swin_import.h"

#include <cmath>
#include <map>
#include <regex>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/reduce.h"

namespace learner::models {

Tensor crop_relative_position_table(const Tensor& table, int64_t wh, int64_t ww, const std::string& what) {
  LEARNER_CHECK(table.dim() == 2, what, ": ", table.describe(), " is not a (positions, heads) table");
  const int64_t positions = table.size(0), heads = table.size(1);
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(positions))));
  LEARNER_CHECK(side * side == positions && side % 2 == 1, what, ": ", table.describe(),
                " is not the table of a square window ((2S - 1)^2 rows)");
  const int64_t S = (side + 1) / 2;
  LEARNER_CHECK(wh <= S && ww <= S, what, ": the file's table is for a ", S, " x ", S, " window, smaller than this ",
                "block's ", wh, " x ", ww, " window; save the model at an image size whose windows are as large");
  const std::vector<float> src = table.to(Device::cpu()).to_vector();
  std::vector<float> out((2 * wh - 1) * (2 * ww - 1) * heads);
  for (int64_t dy = -(wh - 1); dy < wh; ++dy)
    for (int64_t dx = -(ww - 1); dx < ww; ++dx) {
      const int64_t to = (dy + wh - 1) * (2 * ww - 1) + (dx + ww - 1), from = (dy + S - 1) * (2 * S - 1) + (dx + S - 1);
      for (int64_t h = 0; h < heads; ++h) out[to * heads + h] = src[from * heads + h];
    }
  return Tensor::from_vector(out, {(2 * wh - 1) * (2 * ww - 1), heads});
}

SafetensorsFile swin_for_encoder(const SafetensorsFile& file, SwinTransformer& model, const std::string& path) {
  // The original layout merges at the end of a stage: its layers.i.downsample is timm's
  // layers.(i+1).downsample.
  const bool microsoft_layout = file.find("layers.0.downsample.reduction.weight") != nullptr;
  std::map<std::string, WindowShape> windows;  // the bias table's name -> its block's window
  for (size_t i = 0; i < model.layers->size(); ++i) {
    SwinStage& stage = model.stage(static_cast<int>(i));
    for (size_t j = 0; j < stage.blocks->size(); ++j)
      windows[str("layers.", i, ".blocks.", j, ".attn.relative_position_bias_table")] =
          stage.block(static_cast<int>(j)).window();
  }
  const std::regex downsample(R"(^layers\.(\d+)\.downsample\.)");
  SafetensorsFile renamed;
  for (const auto& [original, t] : file.tensors) {
    if (original.rfind("head.", 0) == 0) continue;  // the ImageNet classifier
    const std::string last = original.substr(original.rfind('.') + 1);
    if (last == "relative_position_index" || last == "attn_mask") continue;  // rebuilt from the window
    std::string name = original;
    std::smatch m;
    if (microsoft_layout && std::regex_search(original, m, downsample))
      name = str("layers.", std::stoi(m[1].str()) + 1, ".downsample.", m.suffix().str());
    Tensor value = t;
    if (name == "patch_embed.proj.weight" && t.dim() == 4 && t.size(1) == 3 && model.config().in_channels == 1) {
      NoGradGuard no_grad;
      value = sum(t, 1, /*keepdim=*/true);  // grayscale sees the sum of the RGB filters
    } else if (auto it = windows.find(name); it != windows.end()) {
      const WindowShape& w = it->second;
      if (t.dim() == 2 && t.size(0) != (2 * w.height - 1) * (2 * w.width - 1))
        value = crop_relative_position_table(t, w.height, w.width, path + ": " + original);
    }
    renamed.tensors.emplace_back("encoder." + name, value);
  }
  return renamed;
}

}  // namespace learner::models
