// The Swin backbone: timm's names and parameter count, the windows and shifts of every stage
// at 112 px and at an odd size (tested by name: stage 3 at 7 x 7 without a shift, stage 4 padded),
// the shift mask and relative position index against their definitions, a small Swin's
// gradients by finite differences, bad input named, and the import of timm's and Microsoft's
// files.
#include <unistd.h>

#include <cstdio>
#include <iterator>
#include <map>
#include <string>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "models/checkpoint.h"
#include "models/swin.h"
#include "models/swin_import.h"
#include "tests/models/model_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::string temp_path(const char* name) { return "/tmp/learner_swin_" + std::to_string(::getpid()) + "_" + name; }

models::EncoderOptions swin_options(int frames = 2, int height = 112, int width = 112) {
  models::EncoderOptions o;
  o.backbone = models::Backbone::SwinTiny;
  o.frames = frames;
  o.in_channels = 1;
  o.image_height = height;
  o.image_width = width;
  return o;
}

// Small enough for finite differences: D 4 then 8, 2 heads, window 2, patch 2, C 2, 10 x 12
// frames (a 5 x 6 grid): stage 1 shifts and pads 5 -> 6; the merge pads 5 -> 6 into a 3 x 3 map
// whose nominal resolution is 2 x 3, so stage 2's window is 2 x 2, shifted along W only, on a
// map padded to 4 x 4.
models::SwinConfig toy_config() {
  models::SwinConfig c;
  c.embed_dim = 4, c.depths = {2, 2}, c.heads = {2, 2}, c.window = 2, c.patch = 2, c.in_channels = 2;
  c.image_height = 10, c.image_width = 12;
  return c;
}

void check_window(const models::WindowShape& w, int64_t h, int64_t wd, int64_t sh, int64_t sw) {
  CHECK(w.height == h);
  CHECK(w.width == wd);
  CHECK(w.shift_h == sh);
  CHECK(w.shift_w == sw);
}

}  // namespace

TEST_CASE("swin-tiny has timm's tensor names and parameter count") {
  Generator gen(1);
  // timm.create_model('swin_tiny_patch4_window7_224', num_classes=0, img_size=112, in_chans=1):
  // 27,509,370 parameters (timm 0.9.16; 27,516,282 at 224 px, where stage 4's table is 169 x 24).
  models::SwinEncoder tiny(swin_options(), gen);
  CHECK(tiny.parameter_count() == 27509370);
  CHECK(tiny.embedding_width() == 768);
  const auto names = nn::state_dict(tiny);
  REQUIRE(names.size() == 171);
  const char* first[] = {"patch_embed.proj.weight", "patch_embed.proj.bias", "patch_embed.norm.weight",
                         "patch_embed.norm.bias", "layers.0.blocks.0.norm1.weight", "layers.0.blocks.0.norm1.bias",
                         "layers.0.blocks.0.attn.relative_position_bias_table", "layers.0.blocks.0.attn.qkv.weight",
                         "layers.0.blocks.0.attn.qkv.bias", "layers.0.blocks.0.attn.proj.weight",
                         "layers.0.blocks.0.attn.proj.bias", "layers.0.blocks.0.norm2.weight",
                         "layers.0.blocks.0.norm2.bias", "layers.0.blocks.0.mlp.fc1.weight",
                         "layers.0.blocks.0.mlp.fc1.bias", "layers.0.blocks.0.mlp.fc2.weight",
                         "layers.0.blocks.0.mlp.fc2.bias"};
  for (size_t i = 0; i < std::size(first); ++i) CHECK(names[i].first == first[i]);
  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : names) shapes[name] = t.shape();
  CHECK(shapes.at("patch_embed.proj.weight") == Shape{96, 1, 4, 4});
  CHECK(shapes.at("layers.0.blocks.0.attn.relative_position_bias_table") == Shape{169, 3});
  CHECK(shapes.count("layers.0.downsample.reduction.weight") == 0);
  CHECK(shapes.at("layers.1.downsample.norm.weight") == Shape{384});
  CHECK(shapes.at("layers.1.downsample.reduction.weight") == Shape{192, 384});
  CHECK(shapes.count("layers.1.downsample.reduction.bias") == 0);
  CHECK(shapes.at("layers.2.blocks.5.attn.relative_position_bias_table") == Shape{169, 12});
  CHECK(shapes.at("layers.3.blocks.0.attn.relative_position_bias_table") == Shape{25, 24});
  CHECK(names.back().first == "norm.bias");
  CHECK(shapes.at("norm.weight") == Shape{768});
  CHECK_THROWS_WITH_AS(models::swin_config("base", 1, 112, 112), doctest::Contains("unknown size 'base'; use tiny"),
                       Error);
}

TEST_CASE("swin at 112 px: stages 1-2 shift 7 x 7 windows, stage 3 at 7 x 7 has one window and no shift, stage 4 is padded") {
  Generator gen(2);
  models::SwinTransformer swin(models::swin_config("tiny", 1, 112, 112), gen);
  const auto res = models::swin_stage_resolutions(swin.config());
  REQUIRE(res.size() == 4);
  CHECK(res[0] == std::array<int64_t, 2>{28, 28});
  CHECK(res[1] == std::array<int64_t, 2>{14, 14});
  CHECK(res[2] == std::array<int64_t, 2>{7, 7});
  CHECK(res[3] == std::array<int64_t, 2>{3, 3});  // timm's nominal 7 // 2; the merged map is 4 x 4
  check_window(swin.stage(0).block(0).window(), 7, 7, 0, 0);
  check_window(swin.stage(0).block(1).window(), 7, 7, 3, 3);
  check_window(swin.stage(1).block(1).window(), 7, 7, 3, 3);
  for (int b = 0; b < 6; ++b) check_window(swin.stage(2).block(b).window(), 7, 7, 0, 0);  // window = resolution
  check_window(swin.stage(3).block(0).window(), 3, 3, 0, 0);
  check_window(swin.stage(3).block(1).window(), 3, 3, 0, 0);
  // Stage 4 takes the 4 x 4 map of the padded merge (7 -> 8 -> 4) and pads it to 6 x 6 for its windows.
  NoGradGuard no_grad;
  const Tensor map = swin.forward_map(test::random_tensor({1, 1, 112, 112}, 3));
  CHECK(map.shape() == Shape{1, 4, 4, 768});
  CHECK(swin.forward(test::random_tensor({2, 1, 112, 112}, 4)).shape() == Shape{2, 768});
}

TEST_CASE("swin at 80 x 144: stage 3 windows 5 x 7 shifted along W only, stage 4 windows 2 x 4 on a 3 x 5 map") {
  Generator gen(3);
  models::SwinTransformer swin(models::swin_config("tiny", 1, 80, 144), gen);
  check_window(swin.stage(0).block(1).window(), 7, 7, 3, 3);  // 20 x 36, padded to 21 x 42
  check_window(swin.stage(2).block(0).window(), 5, 7, 0, 0);
  check_window(swin.stage(2).block(1).window(), 5, 7, 0, 3);
  check_window(swin.stage(3).block(1).window(), 2, 4, 0, 0);
  CHECK(swin.stage(2).block(1).attn->relative_position_bias_table.shape() == Shape{9 * 13, 12});
  CHECK(swin.stage(3).block(1).attn->relative_position_bias_table.shape() == Shape{3 * 7, 24});
  NoGradGuard no_grad;
  CHECK(swin.forward_map(test::random_tensor({1, 1, 80, 144}, 5)).shape() == Shape{1, 3, 5, 768});
}

TEST_CASE("swin_shift_mask and swin_relative_position_index match their definitions") {
  // A 4 x 4 map, 2 x 2 windows, shift 1: rows and columns fall in regions [0, 2), [2, 3), [3, 4).
  const models::WindowShape w{2, 2, 1, 1};
  const Tensor mask = models::swin_shift_mask(4, 4, w);
  REQUIRE(mask.shape() == Shape{4, 4, 4});
  const std::vector<float> m = mask.to_vector();
  auto at = [&](int64_t window, int64_t i, int64_t j) { return m[(window * 4 + i) * 4 + j]; };
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      CHECK(at(0, i, j) == 0.f);                                   // all of window (0, 0) is region (0, 0)
      CHECK(at(3, i, j) == (i == j ? 0.f : -100.f));               // (2,2) (2,3) (3,2) (3,3): four regions
      CHECK(at(1, i, j) == (i % 2 == j % 2 ? 0.f : -100.f));       // window (0, 1): columns 2 and 3 differ
      CHECK(at(2, i, j) == (i / 2 == j / 2 ? 0.f : -100.f));       // window (1, 0): rows 2 and 3 differ
    }
  CHECK_FALSE(models::swin_shift_mask(4, 4, models::WindowShape{2, 2, 0, 0}).defined());

  // A 2 x 3 window: index (dy + 1) * 5 + (dx + 2) for query i and key j.
  const std::vector<int64_t> index = models::swin_relative_position_index(2, 3).to_vector<int64_t>();
  REQUIRE(index.size() == 36);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) CHECK(index[i * 6 + j] == (i / 3 - j / 3 + 1) * 5 + (i % 3 - j % 3 + 2));
  CHECK(index[0] == 7);        // (0, 0) with itself: the centre of the 3 x 5 table
  CHECK(index[5 * 6] == 14);   // query (1, 2), key (0, 0): dy 1, dx 2, the last entry
}

TEST_CASE("a small Swin's gradients match finite differences end to end") {
  Generator gen(4);
  models::SwinTransformer swin(toy_config(), gen);
  test::randomize_parameters(swin, 300);
  CHECK(swin.stage(1).block(1).window().shift_w == 1);
  CHECK(swin.stage(1).block(1).window().shift_h == 0);
  const std::vector<std::string> checked = {"patch_embed.proj.weight",
                                            "patch_embed.norm.bias",
                                            "layers.0.blocks.1.attn.relative_position_bias_table",
                                            "layers.0.blocks.1.attn.qkv.weight",
                                            "layers.1.downsample.norm.weight",
                                            "layers.1.downsample.reduction.weight",
                                            "layers.1.blocks.1.attn.relative_position_bias_table",
                                            "layers.1.blocks.1.mlp.fc1.weight",
                                            "norm.bias"};
  test::check_model_gradients(swin, checked, test::random_tensor({2, 2, 10, 12}, 399),
                              [&](const Tensor& x) { return swin.forward_map(x); });
}

TEST_CASE("swin-tiny per frame: the clip embedding averages the frames; bad input named") {
  Generator gen(5);
  auto encoder = models::make_encoder(swin_options(3, 32, 48), gen);
  auto* swin = dynamic_cast<models::SwinEncoder*>(encoder.get());
  REQUIRE(swin != nullptr);
  CHECK(models::is_transformer(models::Backbone::SwinTiny));
  CHECK(models::is_swin(models::Backbone::SwinTiny));
  NoGradGuard no_grad;
  const Tensor x = test::random_tensor({2 * 3, 1, 32, 48}, 50);
  const Tensor u = encoder->forward(x);
  REQUIRE(u.shape() == Shape{2, 768});
  const std::vector<float> frames = swin->swin->forward(x).to_vector(), clips = u.to_vector();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t d = 0; d < 768; d += 97) {
      const float mean = (frames[(b * 3) * 768 + d] + frames[(b * 3 + 1) * 768 + d] + frames[(b * 3 + 2) * 768 + d]) / 3;
      CHECK(clips[b * 768 + d] == doctest::Approx(mean).epsilon(1e-6));
    }
  CHECK_THROWS_WITH_AS(encoder->forward(test::random_tensor({3, 1, 48, 32}, 51)),
                       doctest::Contains("expected frames of 1 x 32 x 48"), Error);
  CHECK_THROWS_WITH_AS(models::make_encoder(swin_options(3, 2, 48), gen),
                       doctest::Contains("smaller than one 4 x 4 patch"), Error);
}

TEST_CASE("crop_relative_position_table keeps every offset's entry; a smaller table is refused") {
  // A 3 x 3 window's table (25 rows, 2 heads) cut to 2 x 3: rows of offsets |dy| < 2, |dx| < 3.
  std::vector<float> values;
  for (int r = 0; r < 25; ++r) values.insert(values.end(), {float(r), float(100 + r)});
  const Tensor table = Tensor::from_vector(values, {25, 2});
  const Tensor cropped = models::crop_relative_position_table(table, 2, 3, "t");
  REQUIRE(cropped.shape() == Shape{15, 2});
  const std::vector<float> c = cropped.to_vector();
  for (int64_t dy = -1; dy <= 1; ++dy)
    for (int64_t dx = -2; dx <= 2; ++dx) {
      const int64_t to = (dy + 1) * 5 + (dx + 2), from = (dy + 2) * 5 + (dx + 2);
      CHECK(c[to * 2] == float(from));
      CHECK(c[to * 2 + 1] == float(100 + from));
    }
  CHECK(models::crop_relative_position_table(table, 3, 3, "t").to_vector() == values);
  CHECK_THROWS_WITH_AS(models::crop_relative_position_table(table, 4, 3, "file.safetensors: x"),
                       doctest::Contains("file.safetensors: x: the file's table is for a 3 x 3 window"), Error);
  CHECK_THROWS_WITH_AS(models::crop_relative_position_table(Tensor::zeros({24, 2}), 2, 2, "t"),
                       doctest::Contains("not the table of a square window"), Error);
}

TEST_CASE("Swin imports: timm's names at another size and RGB, Microsoft's layout, our checkpoint, refusals named") {
  Generator gen(6), other(7);
  // timm's state_dict of a 224 px RGB Swin (7 x 7 windows everywhere) with a classifier and a
  // saved buffer, into an 80 x 144 gray encoder: filters summed, stage 3 and 4 tables cropped.
  models::SwinTransformer rgb(models::swin_config("tiny", 3, 224, 224), gen);
  test::randomize_parameters(rgb, 500);
  NamedTensors timm = nn::state_dict(rgb);
  timm.emplace_back("head.fc.weight", test::random_tensor({10, 768}, 90));
  timm.emplace_back("layers.0.blocks.1.attn_mask", Tensor::zeros({64, 49, 49}));
  const std::string timm_path = temp_path("timm.safetensors");
  write_safetensors(timm_path, timm);
  models::SwinEncoder target(swin_options(2, 80, 144), other);
  models::init_encoder(timm_path, target);
  std::map<std::string, Tensor> source;
  for (const auto& [name, t] : nn::state_dict(rgb)) source[name] = t;
  for (const auto& named : nn::state_dict(target)) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    const Tensor& t = named.second;
    if (name == "patch_embed.proj.weight") {
      NoGradGuard no_grad;
      const std::vector<float> s = source.at(name).to_vector(), d = t.to_vector();
      for (int64_t o = 0; o < 96 * 16; o += 37) {
        const int64_t out = o / 16, k = o % 16;
        CHECK(d[o] == doctest::Approx(s[(out * 3) * 16 + k] + s[(out * 3 + 1) * 16 + k] + s[(out * 3 + 2) * 16 + k]));
      }
    } else if (name.rfind("layers.2.", 0) == 0 && name.find("relative_position_bias_table") != std::string::npos) {
      CHECK(test::bit_equal(t, models::crop_relative_position_table(source.at(name), 5, 7, "t")));
    } else if (name.rfind("layers.3.", 0) == 0 && name.find("relative_position_bias_table") != std::string::npos) {
      CHECK(test::bit_equal(t, models::crop_relative_position_table(source.at(name), 2, 4, "t")));
    } else {
      CHECK_MESSAGE(test::bit_equal(t, source.at(name)), name);
    }
  }

  // Microsoft's layout: the merge at the end of stages 1-3, buffers saved, head.* as the classifier.
  NamedTensors microsoft;
  for (const auto& [name, t] : nn::state_dict(rgb)) {
    std::string n = name;
    for (int i = 1; i <= 3; ++i) {
      const std::string from = "layers." + std::to_string(i) + ".downsample.";
      if (n.rfind(from, 0) == 0) n = "layers." + std::to_string(i - 1) + ".downsample." + n.substr(from.size());
    }
    microsoft.emplace_back(n, t);
  }
  microsoft.emplace_back("layers.0.blocks.0.attn.relative_position_index", Tensor::zeros({49 * 49}));
  microsoft.emplace_back("head.weight", test::random_tensor({10, 768}, 91));
  const std::string ms_path = temp_path("microsoft.safetensors");
  write_safetensors(ms_path, microsoft);
  models::EncoderOptions o = swin_options(2, 224, 224);
  o.in_channels = 3;
  models::SwinEncoder from_ms(o, other);
  models::init_encoder(ms_path, from_ms);
  for (const auto& named : nn::state_dict(from_ms)) {
    const std::string& name = named.first;
    CHECK_MESSAGE(test::bit_equal(named.second, source.at(name)), name);
  }

  // Our own checkpoint loads as it is.
  const std::string ours = temp_path("ours.safetensors");
  NamedTensors saved;
  for (const auto& [name, t] : nn::state_dict(target)) saved.emplace_back("encoder." + name, t);
  write_safetensors(ours, saved);
  models::SwinEncoder again(swin_options(2, 80, 144), gen);
  models::init_encoder(ours, again);
  CHECK(test::bit_equal(nn::state_dict(again)[6].second, nn::state_dict(target)[6].second));

  // A ViT file, and a table too small for the window, are refused by name.
  const std::string vit_path = temp_path("vit.safetensors");
  write_safetensors(vit_path, NamedTensors{{"cls_token", Tensor::zeros({1, 1, 192})}});
  CHECK_THROWS_WITH_AS(models::init_encoder(vit_path, again), doctest::Contains("nor a timm SwinTransformer"), Error);
  NamedTensors small = timm;
  for (auto& [name, t] : small)
    if (name == "layers.0.blocks.0.attn.relative_position_bias_table") t = Tensor::zeros({9, 3});
  const std::string small_path = temp_path("small.safetensors");
  write_safetensors(small_path, small);
  CHECK_THROWS_WITH_AS(models::init_encoder(small_path, again),
                       doctest::Contains("layers.0.blocks.0.attn.relative_position_bias_table: the file's table is "
                                         "for a 2 x 2 window"),
                       Error);
  for (const std::string& p : {timm_path, ms_path, ours, vit_path, small_path}) std::remove(p.c_str());
}
