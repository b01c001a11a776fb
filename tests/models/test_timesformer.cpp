// The TimeSformer backbone: the reference's names and parameter counts, a one-frame TimeSformer
// (temporal_fc 0) being a ViT, a whole small TimeSformer's gradients by finite differences, bad
// input named, the nearest resizes, the import of the reference's files and of a per-frame ViT.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "models/timesformer.h"
#include "models/timesformer_import.h"
#include "tests/models/model_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::string temp_path(const char* name) {
  return "/tmp/learner_timesformer_" + std::to_string(::getpid()) + "_" + name;
}

models::EncoderOptions tsf_options(models::Backbone backbone, int frames = 8) {
  models::EncoderOptions o;
  o.backbone = backbone;
  o.frames = frames;
  o.in_channels = 1;
  return o;
}

// Small enough for finite differences: D 8, 2 heads, 2 blocks, patch 4, C 2, T 3, 8 x 12 (2 x 3 grid).
models::TimeSformerConfig toy_config() {
  models::TimeSformerConfig c;
  c.width = 8, c.depth = 2, c.heads = 2, c.patch = 4, c.in_channels = 2, c.frames = 3;
  c.image_height = 8, c.image_width = 12;
  return c;
}

}  // namespace

TEST_CASE("timesformer-tiny has the reference's tensor names and parameter count") {
  Generator gen(1);
  // facebookresearch/TimeSformer's VisionTransformer(img_size=112, in_chans=1, num_frames=8,
  // embed_dim=192, depth=12, num_heads=3, qkv_bias=True, attention_type='divided_space_time',
  // num_classes=0): 7,627,392 parameters, counted with the original vit.py under torch 1.13
  // (and 120,752,640 for base, not built here: 480 MB).
  models::TimeSformerEncoder tiny(tsf_options(models::Backbone::TimeSformerTiny), gen);
  CHECK(tiny.parameter_count() == 7627392);
  CHECK(tiny.embedding_width() == 192);
  const auto names = nn::state_dict(tiny);
  REQUIRE(names.size() == 5 + 12 * 20 + 2);
  // PyTorch's order: a module's own parameters before its children's.
  CHECK(names[0].first == "cls_token");
  CHECK(names[1].first == "pos_embed");
  CHECK(names[1].second.shape() == Shape{1, 50, 192});
  CHECK(names[2].first == "time_embed");
  CHECK(names[2].second.shape() == Shape{1, 8, 192});
  CHECK(names[3].first == "patch_embed.proj.weight");
  CHECK(names[3].second.shape() == Shape{192, 1, 16, 16});
  const char* block0[] = {"norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                          "attn.proj.bias", "temporal_norm1.weight", "temporal_norm1.bias",
                          "temporal_attn.qkv.weight", "temporal_attn.qkv.bias", "temporal_attn.proj.weight",
                          "temporal_attn.proj.bias", "temporal_fc.weight", "temporal_fc.bias", "norm2.weight",
                          "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"};
  for (size_t i = 0; i < 20; ++i) CHECK(names[5 + i].first == std::string("blocks.0.") + block0[i]);
  CHECK(names.back().first == "norm.bias");
  // The reference zeroes every temporal_fc, block 0's too.
  CHECK(test::bit_equal(names[5 + 12].second, Tensor::zeros({192, 192})));
  CHECK(names[5 + 11 * 20 + 12].first == "blocks.11.temporal_fc.weight");
  CHECK(test::bit_equal(names[5 + 11 * 20 + 12].second, Tensor::zeros({192, 192})));
  const models::TimeSformerConfig base = models::timesformer_config("base", 1, 8, 112, 112);
  CHECK(base.width == 768);
  CHECK(base.heads == 12);
  CHECK(base.depth == 12);
  CHECK(base.patches() == 49);
  CHECK_THROWS_WITH_AS(models::timesformer_config("small", 1, 8, 112, 112),
                       doctest::Contains("unknown size 'small'; use tiny or base"), Error);
}

TEST_CASE("a one-frame TimeSformer without temporal_fc is the ViT of its spatial weights") {
  // With T = 1 and temporal_fc = 0 the temporal branch adds nothing and the cls average is over
  // one frame: what is left is timm's ViT block, so the names shared with ViT carry its math.
  Generator gen(2);
  models::TimeSformerConfig c = toy_config();
  c.frames = 1;
  models::TimeSformer tsf(c, gen);
  test::randomize_parameters(tsf, 100);
  for (auto& [name, t] : tsf.named_parameters())
    if (name.find("temporal_fc") != std::string::npos || name == "time_embed") *t = Tensor::zeros(t->shape());
  models::ViTConfig vc;
  vc.width = c.width, vc.depth = c.depth, vc.heads = c.heads, vc.patch = c.patch, vc.in_channels = c.in_channels;
  vc.image_height = c.image_height, vc.image_width = c.image_width;
  models::VisionTransformer vit(vc, gen);
  std::map<std::string, Tensor> by_name;
  for (auto& [name, t] : tsf.named_parameters()) by_name[name] = *t;
  for (auto& named : vit.named_parameters()) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    REQUIRE_MESSAGE(by_name.count(name) == 1, name);
    *named.second = by_name.at(name);
  }
  NoGradGuard no_grad;
  const Tensor x = test::random_tensor({3, 2, 8, 12}, 150);
  test::expect_close(tsf.forward(x), vit.forward(x), 1e-5, 1e-5, "TimeSformer T 1 against ViT");
}

TEST_CASE("a small TimeSformer's gradients match finite differences end to end") {
  Generator gen(3);
  models::TimeSformer tsf(toy_config(), gen);
  test::randomize_parameters(tsf, 200);
  const std::vector<std::string> checked = {"cls_token",
                                            "pos_embed",
                                            "time_embed",
                                            "patch_embed.proj.weight",
                                            "blocks.0.temporal_attn.qkv.weight",
                                            "blocks.0.temporal_fc.weight",
                                            "blocks.0.temporal_norm1.bias",
                                            "blocks.1.attn.qkv.bias",
                                            "blocks.1.mlp.fc2.weight",
                                            "norm.weight"};
  test::check_model_gradients(tsf, checked, test::random_tensor({2 * 3, 2, 8, 12}, 299),
                              [&](const Tensor& x) { return tsf.forward(x); });
}

TEST_CASE("timesformer takes odd T and odd grids, and names input of another shape") {
  Generator gen(4);
  models::EncoderOptions o = tsf_options(models::Backbone::TimeSformerTiny, 3);
  o.image_height = 32, o.image_width = 48;
  auto encoder = models::make_encoder(o, gen);
  CHECK(dynamic_cast<models::TimeSformerEncoder*>(encoder.get()) != nullptr);
  CHECK(models::is_transformer(o.backbone));
  CHECK(models::is_timesformer(o.backbone));
  NoGradGuard no_grad;
  CHECK(encoder->forward(test::random_tensor({2 * 3, 1, 32, 48}, 60)).shape() == Shape{2, 192});
  CHECK_THROWS_WITH_AS(encoder->forward(test::random_tensor({3, 1, 48, 32}, 61)),
                       doctest::Contains("expected clips of 3 frames of 1 x 32 x 48"), Error);
  CHECK_THROWS_WITH_AS(encoder->forward(test::random_tensor({4, 1, 32, 48}, 62)),
                       doctest::Contains("do not form clips of T = 3"), Error);
  o.image_height = 8;
  CHECK_THROWS_WITH_AS(models::make_encoder(o, gen), doctest::Contains("smaller than one 16 x 16 patch"), Error);
}

TEST_CASE("nearest resizes pick PyTorch's source indices") {
  // F.interpolate(mode='nearest') under torch 1.13 for these sizes.
  auto picks = [](int64_t in, int64_t out) {
    std::vector<int64_t> v;
    for (int64_t o = 0; o < out; ++o) v.push_back(models::nearest_source_index(o, in, out));
    return v;
  };
  CHECK(picks(8, 3) == std::vector<int64_t>{0, 2, 5});
  CHECK(picks(8, 4) == std::vector<int64_t>{0, 2, 4, 6});
  CHECK(picks(4, 6) == std::vector<int64_t>{0, 0, 1, 2, 2, 3});
  CHECK(picks(3, 6) == std::vector<int64_t>{0, 0, 1, 1, 2, 2});
  CHECK(picks(14, 5) == std::vector<int64_t>{0, 2, 5, 8, 11});
  CHECK(picks(14, 9) == std::vector<int64_t>{0, 1, 3, 4, 6, 7, 9, 10, 12});
  CHECK(picks(7, 7) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
  // A 2 x 2 grid (entries 1..4, the cls entry 0) to 3 x 2: rows 0, 0, 1; columns 0, 1.
  std::vector<float> values;
  for (int k = 0; k < 5; ++k) values.insert(values.end(), {float(k), float(10 * k)});
  const Tensor grid = models::nearest_pos_embed(Tensor::from_vector(values, {1, 5, 2}), 2, 2, 3, 2);
  CHECK(grid.to_vector() == std::vector<float>{0, 0, 1, 10, 2, 20, 1, 10, 2, 20, 3, 30, 4, 40});
  const Tensor time = models::nearest_time_embed(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 4, 1}), 6);
  CHECK(time.to_vector() == std::vector<float>{1, 1, 2, 3, 3, 4});
}

TEST_CASE("TimeSformer imports: the model's and the wrapper's state_dicts, our checkpoint, refusals named") {
  Generator gen(5), other(6);
  const models::EncoderOptions o = tsf_options(models::Backbone::TimeSformerTiny, 4);
  models::TimeSformerEncoder source(o, gen);
  test::randomize_parameters(source, 400);
  const NamedTensors weights = nn::state_dict(source);

  // The VisionTransformer's own names with a Kinetics head.
  const std::string plain_path = temp_path("plain.safetensors");
  NamedTensors plain = weights;
  plain.emplace_back("head.weight", test::random_tensor({400, 192}, 70));
  plain.emplace_back("head.bias", test::random_tensor({400}, 71));
  write_safetensors(plain_path, plain);
  models::TimeSformerEncoder from_plain(o, other);
  models::init_encoder(plain_path, from_plain);
  const auto loaded = nn::state_dict(from_plain);
  REQUIRE(loaded.size() == weights.size());
  for (size_t i = 0; i < loaded.size(); ++i)
    CHECK_MESSAGE(test::bit_equal(loaded[i].second, weights[i].second), loaded[i].first);

  // The TimeSformer wrapper's names (model.*), RGB filters, a 224 px grid and T 8.
  const std::string wrapped_path = temp_path("wrapped.safetensors");
  NamedTensors wrapped;
  const Tensor rgb = test::random_tensor({192, 3, 16, 16}, 80);
  const Tensor pos224 = test::random_tensor({1, 1 + 14 * 14, 192}, 81);
  const Tensor time8 = test::random_tensor({1, 8, 192}, 82);
  for (const auto& [name, t] : weights) {
    const Tensor value = name == "patch_embed.proj.weight" ? rgb
                         : name == "pos_embed"             ? pos224
                         : name == "time_embed"            ? time8
                                                           : t;
    wrapped.emplace_back("model." + name, value);
  }
  wrapped.emplace_back("model.head.weight", test::random_tensor({400, 192}, 83));
  write_safetensors(wrapped_path, wrapped);
  models::TimeSformerEncoder from_wrapped(o, other);
  models::init_encoder(wrapped_path, from_wrapped);
  const models::TimeSformer& m = *from_wrapped.timesformer;
  const std::vector<float> w3 = rgb.to_vector(), w1 = m.patch_embed->proj->weight.to_vector();
  REQUIRE(w1.size() * 3 == w3.size());
  for (size_t d = 0; d < 192; d += 41)
    for (size_t k = 0; k < 256; k += 37)
      CHECK(w1[d * 256 + k] == doctest::Approx(w3[d * 768 + k] + w3[d * 768 + 256 + k] + w3[d * 768 + 512 + k]));
  // 14 x 14 -> 7 x 7 takes every other row and column; T 8 -> 4 every other frame.
  const std::vector<float> p224 = pos224.to_vector(), p112 = m.pos_embed.to_vector();
  REQUIRE(p112.size() == 50 * 192);
  for (int64_t y = 0; y < 7; ++y)
    for (int64_t x = 0; x < 7; ++x)
      CHECK(p112[(1 + y * 7 + x) * 192 + 5] == p224[(1 + 2 * y * 14 + 2 * x) * 192 + 5]);
  CHECK(p112[3] == p224[3]);  // the cls entry
  const std::vector<float> t8 = time8.to_vector(), t4 = m.time_embed.to_vector();
  for (int64_t t = 0; t < 4; ++t) CHECK(t4[t * 192 + 7] == t8[2 * t * 192 + 7]);
  CHECK(test::bit_equal(m.norm->weight, source.timesformer->norm->weight));

  // Other attention types, a wrong width and a ResNet are refused by name.
  const std::string bad_path = temp_path("bad.safetensors");
  NamedTensors joint;
  for (const auto& [name, t] : weights)
    if (name.find("temporal") == std::string::npos) joint.emplace_back(name, t);
  write_safetensors(bad_path, joint);
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_plain), doctest::Contains("divided_space_time"), Error);
  NamedTensors wide = weights;
  wide[3].second = test::random_tensor({384, 1, 16, 16}, 90);  // patch_embed.proj.weight
  write_safetensors(bad_path, wide);
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_plain), doctest::Contains("patch_embed.proj.weight"),
                       Error);
  models::ResNet18 resnet(models::ResNetOptions{1, 0}, gen);
  write_safetensors(bad_path, nn::state_dict(resnet));
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_plain), doctest::Contains("TimeSformer state_dict"),
                       Error);

  // Our own checkpoint, saved and loaded back (load_module) and through --init.
  const std::string ours_path = temp_path("ours.safetensors");
  models::PretrainModel a(o, gen), b(o, other);
  models::save_module(ours_path, a);
  models::load_module(ours_path, b);
  const auto sa = nn::state_dict(a), sb = nn::state_dict(b);
  CHECK(sa[0].first == "encoder.cls_token");
  for (size_t i = 0; i < sa.size(); ++i) CHECK_MESSAGE(test::bit_equal(sa[i].second, sb[i].second), sa[i].first);
  models::TimeSformerEncoder again(o, other);
  models::init_encoder(ours_path, again);
  CHECK(test::bit_equal(again.timesformer->time_embed,
                        dynamic_cast<models::TimeSformerEncoder&>(*a.encoder).timesformer->time_embed));
  for (const std::string& p : {plain_path, wrapped_path, bad_path, ours_path}) std::remove(p.c_str());
}

TEST_CASE("TimeSformer inflates a per-frame ViT file as the reference's load_pretrained does") {
  Generator gen(7), other(8);
  models::VisionTransformer vit(models::vit_config("tiny", 1, 112, 112), gen);
  test::randomize_parameters(vit, 500);
  std::map<std::string, Tensor> file_tensors;
  NamedTensors file = nn::state_dict(vit);
  for (const auto& [name, t] : file) file_tensors[name] = t;
  file.emplace_back("head.weight", test::random_tensor({1000, 192}, 501));
  const std::string path = temp_path("vit.safetensors");
  write_safetensors(path, file);
  models::TimeSformerEncoder tsf(tsf_options(models::Backbone::TimeSformerTiny, 4), other);
  models::init_encoder(path, tsf);
  std::remove(path.c_str());
  for (const auto& named : nn::state_dict(tsf)) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    std::string source = name;
    for (const char* part : {"temporal_attn.", "temporal_norm1."}) {
      const size_t at = source.find(part);
      if (at != std::string::npos) source.erase(at, 9);  // "temporal_"
    }
    if (name == "time_embed" || name.find("temporal_fc.") != std::string::npos) {
      CHECK_MESSAGE(test::bit_equal(named.second, Tensor::zeros(named.second.shape())), name);
    } else {
      REQUIRE_MESSAGE(file_tensors.count(source) == 1, name, " from ", source);
      CHECK_MESSAGE(test::bit_equal(named.second, file_tensors.at(source)), name, " from ", source);
    }
  }
}
