// timm's SwinTransformer, stage by stage, on the framework's ops. Maps stay (B, H, W, D)
// (NHWC, as timm's); linear layers see them as (B*H*W, D) rows.
#include "models/swin.h"

#include <cstring>

#include "framework/nn/init.h"
#include "framework/ops/attention.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/gelu.h"
#include "framework/ops/index_check.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "framework/ops/tokens.h"
#include "framework/ops/window.h"

namespace learner::models {

namespace {

// The entries of an (n) axis split by a window of w with shift s into timm's three regions
// [0, n - w), [n - w, n - s), [n - s, n) (the slices (0, -w), (-w, -s), (-s, None)).
int region(int64_t i, int64_t n, int64_t w, int64_t s) {
  if (i < n - w) return 0;
  return i < n - s ? 1 : 2;
}

}  // namespace

SwinConfig swin_config(const char* size, int in_channels, int height, int width) {
  LEARNER_CHECK(std::strcmp(size, "tiny") == 0, "swin_config: unknown size '", size, "'; use tiny");
  SwinConfig c;
  c.in_channels = in_channels;
  c.image_height = height;
  c.image_width = width;
  return c;
}

WindowShape swin_window(int64_t resolution_h, int64_t resolution_w, int64_t window, bool shifted) {
  WindowShape w;
  w.height = std::min(resolution_h, window);
  w.width = std::min(resolution_w, window);
  w.shift_h = shifted && resolution_h > window ? window / 2 : 0;
  w.shift_w = shifted && resolution_w > window ? window / 2 : 0;
  return w;
}

std::vector<std::array<int64_t, 2>> swin_stage_resolutions(const SwinConfig& config) {
  const int64_t gh = config.image_height / config.patch, gw = config.image_width / config.patch;
  std::vector<std::array<int64_t, 2>> out;
  int64_t scale = 1;
  for (size_t i = 0; i < config.depths.size(); ++i) {
    // timm: input_resolution = grid // scale, output = input // 2 after a merge; scale doubles
    // from stage 3 on.
    const int64_t in_h = gh / scale, in_w = gw / scale;
    out.push_back(i == 0 ? std::array<int64_t, 2>{in_h, in_w} : std::array<int64_t, 2>{in_h / 2, in_w / 2});
    if (i > 0) scale *= 2;
  }
  return out;
}

Tensor swin_shift_mask(int64_t Hp, int64_t Wp, const WindowShape& w) {
  if (w.shift_h == 0 && w.shift_w == 0) return Tensor();
  LEARNER_CHECK(Hp % w.height == 0 && Wp % w.width == 0, "swin_shift_mask: ", Hp, " x ", Wp,
                " is not a multiple of the ", w.height, " x ", w.width, " window");
  const int64_t nh = Hp / w.height, nw = Wp / w.width, N = w.height * w.width;
  std::vector<float> mask(nh * nw * N * N);
  std::vector<int> ids(N);
  for (int64_t wy = 0; wy < nh; ++wy)
    for (int64_t wx = 0; wx < nw; ++wx) {
      for (int64_t t = 0; t < N; ++t) {
        const int64_t y = wy * w.height + t / w.width, x = wx * w.width + t % w.width;
        ids[t] = 3 * region(y, Hp, w.height, w.shift_h) + region(x, Wp, w.width, w.shift_w);
      }
      float* m = mask.data() + (wy * nw + wx) * N * N;
      for (int64_t i = 0; i < N; ++i)
        for (int64_t j = 0; j < N; ++j) m[i * N + j] = ids[i] == ids[j] ? 0.f : -100.f;
    }
  return Tensor::from_vector(mask, {nh * nw, N, N});
}

Tensor swin_relative_position_index(int64_t wh, int64_t ww) {
  const int64_t N = wh * ww;
  std::vector<int64_t> index(N * N);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j) {
      const int64_t dy = i / ww - j / ww, dx = i % ww - j % ww;
      index[i * N + j] = (dy + wh - 1) * (2 * ww - 1) + (dx + ww - 1);
    }
  return Tensor::from_vector(index, {N * N});
}

SwinWindowAttention::SwinWindowAttention(int width, int heads, int64_t window_h, int64_t window_w, Generator& gen)
    : heads_(heads), window_h_(window_h), window_w_(window_w) {
  LEARNER_CHECK(heads > 0 && width % heads == 0, "Swin attention: width ", width, " is not a multiple of ", heads,
                " heads");
  // timm's order: the table, then qkv and proj; the table is trunc_normal_(std .02) after them.
  relative_position_bias_table = Tensor::zeros({(2 * window_h - 1) * (2 * window_w - 1), heads});
  register_parameter("relative_position_bias_table", &relative_position_bias_table);
  qkv = register_module("qkv", timm_linear(width, 3 * width, gen));
  proj = register_module("proj", timm_linear(width, width, gen));
  nn::trunc_normal_(relative_position_bias_table, 0.f, 0.02f, -2.f, 2.f, gen);
  index_ = swin_relative_position_index(window_h, window_w);
  // Checked once here, on the host: forward() gathers with it unchecked (IndexCheck::Trusted),
  // so that a CUDA step does not wait for the device in every block.
  const BadIndex bad = find_bad_index(index_, relative_position_bias_table.size(0));
  LEARNER_ASSERT(bad.position < 0, "Swin relative position index[", bad.position, "] = ", bad.value,
                 " is outside the table of ", relative_position_bias_table.size(0), " rows");
}

Tensor SwinWindowAttention::forward(const Tensor& x, const Tensor& mask) {
  const int64_t N = x.size(1), H = heads_;
  LEARNER_CHECK(N == window_h_ * window_w_, "Swin attention: ", x.describe(), " are not windows of ", window_h_,
                " x ", window_w_, " tokens");
  // Made on the host; copied once to the table's device after the module moves there.
  if (index_.device() != relative_position_bias_table.device()) index_ = index_.to(relative_position_bias_table.device());
  // The bias of head h for query i and key j: table[index[i, j], h], as (heads, N, N).
  const Tensor bias = permute(reshape(index_select(relative_position_bias_table, 0, index_, IndexCheck::Trusted), {N, N, H}), {2, 0, 1});
  // With a mask (nW, heads, N, N) the bias of group (b, w, h) is mask[w, h] + bias[h]: the
  // attention op repeats a (nW * heads)-group bias over the B maps.
  const Tensor full_bias = mask.defined() ? reshape(add_broadcast(mask, bias), {mask.size(0) * H, N, N}) : bias;
  return apply_rows(*proj, self_attention(apply_rows(*qkv, x), H, full_bias));
}

SwinBlock::SwinBlock(int width, int heads, int64_t resolution_h, int64_t resolution_w, const SwinConfig& config,
                     bool shifted, Generator& gen)
    : window_(swin_window(resolution_h, resolution_w, config.window, shifted)), heads_(heads) {
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(width, config.eps));
  attn = register_module("attn",
                         std::make_shared<SwinWindowAttention>(width, heads, window_.height, window_.width, gen));
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(width, config.eps));
  mlp = register_module("mlp", std::make_shared<ViTMlp>(width, config.mlp_ratio * width, gen));
}

Tensor SwinBlock::attention_branch(const Tensor& x) {
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2);
  const WindowShape& w = window_;
  Tensor h = x;
  if (w.shift_h != 0) h = roll(h, 1, -w.shift_h);
  if (w.shift_w != 0) h = roll(h, 2, -w.shift_w);
  const int64_t pad_h = (w.height - H % w.height) % w.height, pad_w = (w.width - W % w.width) % w.width;
  const int64_t Hp = H + pad_h, Wp = W + pad_w;
  h = pad_end(pad_end(h, 1, pad_h), 2, pad_w);
  Tensor mask;
  if (w.shift_h != 0 || w.shift_w != 0) {
    if (mask_hp_ != Hp || mask_wp_ != Wp || mask_.device() != x.device()) {
      // Built on the host once per map size, copied once to the device it is used on.
      const Tensor per_window = swin_shift_mask(Hp, Wp, w);
      const int64_t nW = per_window.size(0), N = per_window.size(1);
      const std::vector<float> m = per_window.to_vector();
      std::vector<float> broadcast(nW * heads_ * N * N);
      for (int64_t k = 0; k < nW; ++k)
        for (int64_t hh = 0; hh < heads_; ++hh)
          std::copy(m.begin() + k * N * N, m.begin() + (k + 1) * N * N, broadcast.begin() + (k * heads_ + hh) * N * N);
      mask_ = Tensor::from_vector(broadcast, {nW, heads_, N, N}).to(x.device());
      mask_hp_ = Hp, mask_wp_ = Wp;
    }
    mask = mask_;
  }
  const Tensor windows = attn->forward(window_partition(h, w.height, w.width), mask);
  h = window_merge(windows, B, Hp, Wp, w.height, w.width);
  if (pad_h != 0) h = slice(h, 1, 0, H);
  if (pad_w != 0) h = slice(h, 2, 0, W);
  if (w.shift_h != 0) h = roll(h, 1, w.shift_h);
  if (w.shift_w != 0) h = roll(h, 2, w.shift_w);
  return h;
}

Tensor SwinBlock::forward(const Tensor& x) {
  check_rank(x, 4, "Swin block", "x");
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2), D = x.size(3);
  const Tensor h = reshape(add(x, attention_branch(norm1->forward(x))), {B, H * W, D});
  return reshape(add(h, mlp->forward(norm2->forward(h))), {B, H, W, D});
}

PatchMerging::PatchMerging(int width, float eps, Generator& gen) {
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(4 * width, eps));
  reduction = register_module("reduction", timm_linear(4 * width, 2 * width, gen, /*bias=*/false));
}

Tensor PatchMerging::forward(const Tensor& x) {
  check_rank(x, 4, "PatchMerging", "x");
  const Tensor even = pad_end(pad_end(x, 1, x.size(1) % 2), 2, x.size(2) % 2);
  const int64_t B = even.size(0), H = even.size(1), W = even.size(2), C = even.size(3);
  // (B, H/2, dy, W/2, dx, C) -> (B, H/2, W/2, dx, dy, C): the neighbour (dy, dx) lands at
  // 2 dx + dy, i.e. (0,0), (1,0), (0,1), (1,1).
  const Tensor grouped = permute(reshape(even, {B, H / 2, 2, W / 2, 2, C}), {0, 1, 3, 4, 2, 5});
  return apply_rows(*reduction, norm->forward(reshape(grouped, {B, H / 2, W / 2, 4 * C})));
}

SwinStage::SwinStage(int in_width, int width, int64_t resolution_h, int64_t resolution_w, int depth, int heads,
                     bool with_downsample, const SwinConfig& config, Generator& gen) {
  if (with_downsample) {
    LEARNER_CHECK(width == 2 * in_width, "SwinStage: a merge doubles the width, ", in_width, " -> ", width);
    downsample = register_module("downsample", std::make_shared<PatchMerging>(in_width, config.eps, gen));
  }
  blocks = register_module("blocks", std::make_shared<nn::Sequential>());
  for (int i = 0; i < depth; ++i)
    blocks->add(std::make_shared<SwinBlock>(width, heads, resolution_h, resolution_w, config, i % 2 == 1, gen));
}

Tensor SwinStage::forward(const Tensor& x) { return blocks->forward(downsample ? downsample->forward(x) : x); }

SwinBlock& SwinStage::block(int i) { return dynamic_cast<SwinBlock&>(blocks->at(i)); }

SwinPatchEmbed::SwinPatchEmbed(int in_channels, int width, int patch, float eps, Generator& gen)
    : PatchEmbed(in_channels, width, patch, gen) {
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(width, eps));
}

Tensor SwinPatchEmbed::forward(const Tensor& x) {
  const int64_t p = proj->weight.size(2);
  const Tensor tokens = norm->forward(PatchEmbed::forward(x));  // (N, L, D), the grid row-major
  return reshape(tokens, {x.size(0), x.size(2) / p, x.size(3) / p, tokens.size(2)});
}

SwinTransformer::SwinTransformer(const SwinConfig& config, Generator& gen) : config_(config) {
  LEARNER_CHECK(config.depths.size() == config.heads.size() && !config.depths.empty(),
                "Swin: depths and heads differ in length");
  LEARNER_CHECK(config.image_height >= config.patch && config.image_width >= config.patch, "Swin: frames of ",
                config.image_height, " x ", config.image_width, " are smaller than one ", config.patch, " x ",
                config.patch, " patch; pack with a larger --size");
  // timm's order of creation: patch_embed, layers, norm.
  patch_embed = register_module(
      "patch_embed", std::make_shared<SwinPatchEmbed>(config.in_channels, config.embed_dim, config.patch, config.eps, gen));
  layers = register_module("layers", std::make_shared<nn::Sequential>());
  const auto resolutions = swin_stage_resolutions(config);
  int in_width = config.embed_dim;
  for (size_t i = 0; i < config.depths.size(); ++i) {
    const int width = config.embed_dim << i;
    layers->add(std::make_shared<SwinStage>(in_width, width, resolutions[i][0], resolutions[i][1], config.depths[i],
                                            config.heads[i], i > 0, config, gen));
    in_width = width;
  }
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(config.features(), config.eps));
}

SwinStage& SwinTransformer::stage(int i) { return dynamic_cast<SwinStage&>(layers->at(i)); }

Tensor SwinTransformer::forward_map(const Tensor& x) {
  check_rank(x, 4, "Swin", "x");
  LEARNER_CHECK(x.size(1) == config_.in_channels && x.size(2) == config_.image_height &&
                    x.size(3) == config_.image_width,
                "Swin: expected frames of ", config_.in_channels, " x ", config_.image_height, " x ",
                config_.image_width, " (C x H x W), got ", x.describe());
  return norm->forward(layers->forward(patch_embed->forward(x)));
}

Tensor SwinTransformer::forward(const Tensor& x) {
  const Tensor map = forward_map(x);
  return mean(reshape(map, {map.size(0), map.size(1) * map.size(2), map.size(3)}), 1);
}

SwinEncoder::SwinEncoder(const EncoderOptions& options, Generator& gen) : ClipEncoder(options) {
  LEARNER_CHECK(options.backbone == Backbone::SwinTiny, "SwinEncoder: not a Swin backbone");
  swin = register_module("", std::make_shared<SwinTransformer>(
                                 swin_config("tiny", options.in_channels, options.image_height, options.image_width),
                                 gen));
}

int SwinEncoder::embedding_width() const { return swin->config().features(); }

Tensor SwinEncoder::forward(const Tensor& x) {
  const int64_t B = clips_in(x), T = options_.frames;
  const Tensor features = swin->forward(x);  // (B*T, 768)
  return mean(reshape(features, {B, T, features.size(1)}), 1);
}

}  // namespace learner::models
