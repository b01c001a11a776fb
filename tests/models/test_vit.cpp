// The ViT backbone: timm's names and parameter counts, a whole small ViT's gradients by
// finite differences, clip pooling, and the import of timm state_dicts (RGB -> gray patch
// filters, position embeddings resampled, the head dropped, mismatches named).
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "models/vit_import.h"
#include "tests/models/model_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::string temp_path(const char* name) { return "/tmp/learner_vit_" + std::to_string(::getpid()) + "_" + name; }

models::EncoderOptions vit_options(models::Backbone backbone, int frames = 2) {
  models::EncoderOptions o;
  o.backbone = backbone;
  o.frames = frames;
  o.in_channels = 1;
  return o;
}

// A ViT small enough for finite differences: D 8, 2 heads, 2 blocks, patch 4, 8 x 12 frames.
models::ViTConfig toy_config() {
  models::ViTConfig c;
  c.width = 8, c.depth = 2, c.heads = 2, c.patch = 4, c.in_channels = 2, c.image_height = 8, c.image_width = 12;
  return c;
}

}  // namespace

TEST_CASE("vit-tiny/small/base have timm's tensor names and parameter counts") {
  Generator gen(1);
  // timm.create_model('vit_tiny_patch16_224', num_classes=0, img_size=112, in_chans=1):
  // 5,397,888 parameters (counted with timm 0.9.16).
  models::ViTEncoder tiny(vit_options(models::Backbone::ViTTiny), gen);
  CHECK(tiny.parameter_count() == 5397888);
  CHECK(tiny.embedding_width() == 192);
  const auto names = nn::state_dict(tiny);
  REQUIRE(names.size() == 4 + 12 * 12 + 2);
  CHECK(names[0].first == "cls_token");
  CHECK(names[1].first == "pos_embed");
  CHECK(names[1].second.shape() == Shape{1, 50, 192});
  CHECK(names[2].first == "patch_embed.proj.weight");
  CHECK(names[2].second.shape() == Shape{192, 1, 16, 16});
  CHECK(names[4].first == "blocks.0.norm1.weight");
  CHECK(names[6].first == "blocks.0.attn.qkv.weight");
  CHECK(names[6].second.shape() == Shape{576, 192});
  CHECK(names[8].first == "blocks.0.attn.proj.weight");
  CHECK(names[12].first == "blocks.0.mlp.fc1.weight");
  CHECK(names[12].second.shape() == Shape{768, 192});
  CHECK(names.back().first == "norm.bias");
  models::ViTEncoder small(vit_options(models::Backbone::ViTSmall), gen);
  CHECK(small.embedding_width() == 384);
  CHECK(small.parameter_count() == 21412608);  // timm, same arguments
  // vit-base (85,292,544 in timm) is not built here (a few seconds of initialisation): its size.
  const models::ViTConfig base = models::vit_config("base", 1, 112, 112);
  CHECK(base.width == 768);
  CHECK(base.heads == 12);
  CHECK(base.depth == 12);
  CHECK_THROWS_WITH_AS(models::vit_config("huge", 1, 112, 112), doctest::Contains("unknown size 'huge'"), Error);
}

TEST_CASE("a small ViT's gradients match finite differences end to end") {
  Generator gen(2);
  models::VisionTransformer vit(toy_config(), gen);
  test::randomize_parameters(vit, 100);  // every path carries signal
  const std::vector<std::string> checked = {"cls_token", "pos_embed", "patch_embed.proj.weight",
                                            "blocks.0.attn.qkv.weight", "blocks.1.attn.proj.bias",
                                            "blocks.1.mlp.fc1.weight", "blocks.0.norm2.weight", "norm.bias"};
  test::check_model_gradients(vit, checked, test::random_tensor({3, 2, 8, 12}, 99),
                              [&](const Tensor& x) { return vit.forward(x); });
}

TEST_CASE("ViT forward: frame features are the normed cls token; the clip embedding averages frames") {
  Generator gen(3);
  models::VisionTransformer vit(toy_config(), gen);
  vit.eval();
  NoGradGuard no_grad;
  const Tensor x = test::random_tensor({3, 2, 8, 12}, 20);
  const Tensor features = vit.forward(x), tokens = vit.forward_tokens(x);
  CHECK(features.shape() == Shape{3, 8});
  CHECK(tokens.shape() == Shape{3, 1 + 2 * 3, 8});
  const Tensor cls = reshape(slice(tokens, 1, 0, 1), {3, 8});
  test::expect_close(features, cls, 1e-6, 1e-5, "norm(x)[:, 0]");
  CHECK_THROWS_WITH_AS(vit.forward(test::random_tensor({3, 2, 12, 8}, 21)),
                       doctest::Contains("expected frames of 2 x 8 x 12"), Error);

  models::EncoderOptions o = vit_options(models::Backbone::ViTTiny, 4);
  o.image_height = 32, o.image_width = 48;
  models::ViTEncoder encoder(o, gen);
  encoder.eval();
  const Tensor clips = test::random_tensor({2 * 4, 1, 32, 48}, 22);
  const Tensor u = encoder.forward(clips);
  CHECK(u.shape() == Shape{2, 192});
  test::expect_close(u, mean(reshape(encoder.vit->forward(clips), {2, 4, 192}), 1), 1e-6, 1e-5, "mean over T");
}

TEST_CASE("resample_pos_embed: identity at the same size, PyTorch's antialiased bicubic otherwise") {
  const Tensor pos = test::random_tensor({1, 1 + 16, 3}, 30);
  CHECK(test::bit_equal(models::resample_pos_embed(pos, 1, 4, 4, 4, 4), pos));
  // A constant map stays constant (the weights are normalised), the prefix token is copied.
  std::vector<float> v(3 + 16 * 3, 0.25f);
  v[0] = 7.f;
  const Tensor flat = models::resample_pos_embed(Tensor::from_vector(v, {1, 17, 3}), 1, 4, 4, 3, 2);
  CHECK(flat.shape() == Shape{1, 1 + 6, 3});
  const std::vector<float> out = flat.to_vector();
  CHECK(out[0] == 7.f);
  for (size_t i = 3; i < out.size(); ++i) CHECK(out[i] == doctest::Approx(0.25f).epsilon(1e-6));
  // torch.nn.functional.interpolate(torch.arange(16.).reshape(1, 1, 4, 4), size=(2, 2),
  // mode='bicubic', antialias=True) in float64, torch 1.13 (shrinking widens the filter).
  std::vector<float> ramp(16);
  for (int i = 0; i < 16; ++i) ramp[i] = static_cast<float>(i);
  const std::vector<float> got = models::resample_pos_embed(Tensor::from_vector(ramp, {1, 16, 1}), 0, 4, 4, 2, 2).to_vector();
  test::expect_close(got, {2.933884f, 4.760331f, 10.239669f, 12.066116f}, 1e-5, 1e-6, "bicubic antialias 4x4 -> 2x2");
  // Growing one axis and shrinking the other: arange(12.).reshape(1, 1, 3, 4) -> (5, 3).
  std::vector<float> ramp12(12);
  for (int i = 0; i < 12; ++i) ramp12[i] = static_cast<float>(i);
  const std::vector<float> mixed =
      models::resample_pos_embed(Tensor::from_vector(ramp12, {1, 12, 1}), 0, 3, 4, 5, 3).to_vector();
  test::expect_close(mixed,
                     {-0.1119554f, 1.1981132f, 2.5081819f, 1.4138119f, 2.7238806f, 4.0339492f, 4.1899314f, 5.5f,
                      6.8100686f, 6.9660508f, 8.2761194f, 9.5861881f, 8.4918181f, 9.8018868f, 11.1119554f},
                     1e-5, 1e-6, "bicubic antialias 3x4 -> 5x3");
}

TEST_CASE("a timm ViT state_dict initialises the encoder: head dropped, RGB summed, pos_embed resampled") {
  const std::string path = temp_path("timm.safetensors");
  Generator gen(4);
  // timm's vit_tiny at 224 px, RGB, with its 1000-class head (names without a prefix).
  models::ViTConfig rgb = models::vit_config("tiny", 3, 224, 224);
  models::VisionTransformer timm_like(rgb, gen);
  NamedTensors file = nn::state_dict(timm_like);
  file.emplace_back("head.weight", test::random_tensor({1000, 192}, 40));
  file.emplace_back("head.bias", test::random_tensor({1000}, 41));
  write_safetensors(path, file);

  models::ViTEncoder gray(vit_options(models::Backbone::ViTTiny), gen);
  models::init_encoder(path, gray);
  const std::vector<float> w3 = timm_like.patch_embed->proj->weight.to_vector();
  const std::vector<float> w1 = gray.vit->patch_embed->proj->weight.to_vector();
  REQUIRE(w1.size() * 3 == w3.size());
  for (size_t o = 0; o < 192; o += 37)
    for (size_t k = 0; k < 256; k += 51)
      CHECK(w1[o * 256 + k] == doctest::Approx(w3[o * 768 + k] + w3[o * 768 + 256 + k] + w3[o * 768 + 512 + k]));
  test::expect_close(gray.vit->pos_embed, models::resample_pos_embed(timm_like.pos_embed, 1, 14, 14, 7, 7), 0, 0,
                     "pos_embed resampled 14x14 -> 7x7");
  CHECK(test::bit_equal(gray.vit->cls_token, timm_like.cls_token));
  CHECK(test::bit_equal(gray.vit->blocks->named_parameters()[5].second->detach(),
                        timm_like.blocks->named_parameters()[5].second->detach()));

  // A vit-small file into a vit-tiny encoder: the mismatching tensors are named.
  const std::string small_path = temp_path("small.safetensors");
  models::VisionTransformer small(models::vit_config("small", 1, 112, 112), gen);
  write_safetensors(small_path, nn::state_dict(small));
  CHECK_THROWS_WITH_AS(models::init_encoder(small_path, gray), doctest::Contains("cls_token"), Error);
  // Not a ViT at all.
  const std::string resnet_path = temp_path("resnet.safetensors");
  models::ResNet18 resnet(models::ResNetOptions{3, 1000}, gen);
  models::save_module(resnet_path, resnet);
  CHECK_THROWS_WITH_AS(models::init_encoder(resnet_path, gray), doctest::Contains("nor a timm VisionTransformer"), Error);
  std::remove(path.c_str());
  std::remove(small_path.c_str());
  std::remove(resnet_path.c_str());
}

TEST_CASE("a ViT pretrain model saves and loads under encoder.* with timm's names") {
  const std::string path = temp_path("pre.safetensors");
  Generator gen(5), other(6);
  models::PretrainModel a(vit_options(models::Backbone::ViTTiny), gen);
  models::save_module(path, a);
  models::PretrainModel b(vit_options(models::Backbone::ViTTiny), other);
  models::load_module(path, b);
  const auto sa = nn::state_dict(a), sb = nn::state_dict(b);
  REQUIRE(sa.size() == sb.size());
  CHECK(sa[0].first == "encoder.cls_token");
  for (size_t i = 0; i < sa.size(); ++i) CHECK_MESSAGE(test::bit_equal(sa[i].second, sb[i].second), sa[i].first);
  // init_encoder takes our checkpoint too.
  models::ViTEncoder again(vit_options(models::Backbone::ViTTiny), other);
  models::init_encoder(path, again);
  CHECK(test::bit_equal(again.vit->pos_embed, dynamic_cast<models::ViTEncoder&>(*a.encoder).vit->pos_embed));
  std::remove(path.c_str());
}
