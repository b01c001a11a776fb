// The VideoMAE backbone: the reference's names and parameter counts, the tubelet embedding
// against a float64 Conv3d, the fixed sinusoid table, a whole small VideoMAE's gradients by
// finite differences, odd T refused, and the import of the three kinds of file.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "framework/ops/tubelet_embed.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "models/videomae.h"
#include "tests/models/model_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

std::string temp_path(const char* name) { return "/tmp/learner_videomae_" + std::to_string(::getpid()) + "_" + name; }

models::EncoderOptions mae_options(models::Backbone backbone, int frames = 8) {
  models::EncoderOptions o;
  o.backbone = backbone;
  o.frames = frames;
  o.in_channels = 1;
  return o;
}

// Small enough for finite differences: D 8, 2 heads, 2 blocks, patch 4, tubelet 2, T 4, 8 x 12, C 2.
models::VideoMAEConfig toy_config() {
  models::VideoMAEConfig c;
  c.width = 8, c.depth = 2, c.heads = 2, c.patch = 4, c.in_channels = 2, c.frames = 4;
  c.image_height = 8, c.image_width = 12;
  return c;
}

}  // namespace

TEST_CASE("videomae-tiny/small have the reference's tensor names and parameter counts") {
  Generator gen(1);
  // MCG-NJU/VideoMAE modeling_finetune.VisionTransformer(img_size=112, in_chans=1, all_frames=8,
  // qkv_bias=True, eps 1e-6) without its head: 5,434,944 at D 192, 21,486,720 at D 384
  // (counted with the reference's own file under torch 1.13).
  models::VideoMAEEncoder tiny(mae_options(models::Backbone::VideoMAETiny), gen);
  CHECK(tiny.parameter_count() == 5434944);
  CHECK(tiny.embedding_width() == 192);
  const auto names = nn::state_dict(tiny);
  REQUIRE(names.size() == 2 + 12 * 13 + 2);
  CHECK(names[0].first == "patch_embed.proj.weight");
  CHECK(names[0].second.shape() == Shape{192, 1, 2, 16, 16});
  CHECK(names[2].first == "blocks.0.norm1.weight");
  // PyTorch's order: a module's own parameters before its children's.
  CHECK(names[4].first == "blocks.0.attn.q_bias");
  CHECK(names[5].first == "blocks.0.attn.v_bias");
  CHECK(names[6].first == "blocks.0.attn.qkv.weight");
  CHECK(names[6].second.shape() == Shape{576, 192});
  CHECK(names[7].first == "blocks.0.attn.proj.weight");
  CHECK(names[11].first == "blocks.0.mlp.fc1.weight");
  CHECK(names.back().first == "fc_norm.bias");
  models::VideoMAEEncoder small(mae_options(models::Backbone::VideoMAESmall), gen);
  CHECK(small.parameter_count() == 21486720);
  const models::VideoMAEConfig base = models::videomae_config("base", 1, 8, 112, 112);
  CHECK(base.width == 768);
  CHECK(base.heads == 12);
  CHECK(base.tokens() == 4 * 7 * 7);
  CHECK_THROWS_WITH_AS(models::videomae_config("huge", 1, 8, 112, 112), doctest::Contains("unknown size 'huge'"),
                       Error);
}

TEST_CASE("tubelet_embed is Conv3d with kernel = stride over (C, T, H, W), tokens time-major") {
  const int64_t B = 2, T = 4, C = 3, H = 9, W = 7, D = 5, tt = 2, p = 4;
  const Tensor x = test::random_tensor({B * T, C, H, W}, 50), w = test::random_tensor({D, C, tt, p, p}, 51),
               b = test::random_tensor({D}, 52);
  const Tensor y = tubelet_embed(x, T, w, b);
  const int64_t Tt = T / tt, Hp = H / p, Wp = W / p;
  REQUIRE(y.shape() == Shape{B, Tt * Hp * Wp, D});
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector(), yv = y.to_vector();
  std::vector<float> expected;
  for (int64_t n = 0; n < B; ++n)
    for (int64_t s = 0; s < Tt; ++s)
      for (int64_t i = 0; i < Hp; ++i)
        for (int64_t j = 0; j < Wp; ++j)
          for (int64_t d = 0; d < D; ++d) {
            double acc = bv[d];
            for (int64_t c = 0; c < C; ++c)
              for (int64_t dt = 0; dt < tt; ++dt)
                for (int64_t u = 0; u < p; ++u)
                  for (int64_t v = 0; v < p; ++v)
                    acc += double{wv[(((d * C + c) * tt + dt) * p + u) * p + v]} *
                           xv[(((n * T + s * tt + dt) * C + c) * H + i * p + u) * W + j * p + v];
            expected.push_back(static_cast<float>(acc));
          }
  test::expect_close(yv, expected, 1e-5, 1e-5, "Conv3d in float64");
  CHECK_THROWS_WITH_AS(tubelet_embed(test::random_tensor({6, C, H, W}, 53), 3, w, b),
                       doctest::Contains("use a multiple of 2 (--frames)"), Error);
  CHECK_THROWS_WITH_AS(tubelet_embed(x, 3, w, b), doctest::Contains("do not form clips of 3"), Error);
  CHECK_THROWS_WITH_AS(tubelet_embed(x, T, test::random_tensor({D, 2, tt, p, p}, 54), b),
                       doctest::Contains("must be (D, C, tt, p, p) with C = 3"), Error);
}

TEST_CASE("the sinusoid table is the reference's get_sinusoid_encoding_table") {
  const Tensor table = models::sinusoid_table(196, 192);
  REQUIRE(table.shape() == Shape{1, 196, 192});
  const std::vector<float> t = table.to_vector();
  CHECK(t[0] == 0.f);  // sin(0)
  CHECK(t[1] == 1.f);  // cos(0)
  // numpy float64 then float32 (tests/parity/videomae_reference.py's table, torch 1.13):
  CHECK(t[1 * 192 + 2] == 0.788593053817749f);      // sin(1 / 10000^(2/192))
  CHECK(t[5 * 192 + 7] == -0.8208615779876709f);    // cos(5 / 10000^(6/192))
  CHECK(t[97 * 192 + 190] == 0.010676530189812183f);  // sin(97 / 10000^(190/192))
}

TEST_CASE("a small VideoMAE's gradients match finite differences end to end") {
  Generator gen(2);
  models::VideoMAE mae(toy_config(), gen);
  test::randomize_parameters(mae, 200);
  const std::vector<std::string> checked = {"patch_embed.proj.weight", "patch_embed.proj.bias",
                                            "blocks.0.attn.qkv.weight", "blocks.0.attn.q_bias",
                                            "blocks.1.attn.v_bias", "blocks.1.mlp.fc1.weight",
                                            "blocks.0.norm2.weight", "fc_norm.bias"};
  test::check_model_gradients(mae, checked, test::random_tensor({2 * 4, 2, 8, 12}, 299),
                              [&](const Tensor& x) { return mae.forward(x); });
}

TEST_CASE("videomae refuses odd T and frames of another size, naming what to change") {
  Generator gen(3);
  CHECK_THROWS_WITH_AS(models::make_encoder(mae_options(models::Backbone::VideoMAETiny, 3), gen),
                       doctest::Contains("--frames 3 is odd"), Error);
  models::EncoderOptions o = mae_options(models::Backbone::VideoMAETiny, 2);
  o.image_height = 32, o.image_width = 48;
  auto encoder = models::make_encoder(o, gen);
  CHECK(dynamic_cast<models::VideoMAEEncoder*>(encoder.get()) != nullptr);
  CHECK(models::is_transformer(o.backbone));
  NoGradGuard no_grad;
  CHECK(encoder->forward(test::random_tensor({2 * 2, 1, 32, 48}, 60)).shape() == Shape{2, 192});
  CHECK_THROWS_WITH_AS(encoder->forward(test::random_tensor({4, 1, 48, 32}, 61)),
                       doctest::Contains("expected clips of 2 frames of 1 x 32 x 48"), Error);
}

TEST_CASE("VideoMAE imports: fine-tuning and pre-training state_dicts, our checkpoint, refusals named") {
  Generator gen(4), other(5);
  const models::EncoderOptions o = mae_options(models::Backbone::VideoMAETiny, 4);
  models::VideoMAEEncoder source(o, gen);
  for (auto& [name, t] : source.named_parameters()) *t = test::random_tensor(t->shape(), 400 + t->numel());
  const NamedTensors weights = nn::state_dict(source);

  // A pre-training PretrainVisionTransformer: encoder.* (with its final norm), a decoder, the
  // encoder-to-decoder projection and the mask token.
  const std::string pre_path = temp_path("pretrain.safetensors");
  NamedTensors pre;
  for (const auto& [name, t] : weights)
    if (name.rfind("fc_norm.", 0) != 0) pre.emplace_back("encoder." + name, t);
  pre.emplace_back("encoder.norm.weight", test::random_tensor({192}, 70));
  pre.emplace_back("encoder.norm.bias", test::random_tensor({192}, 71));
  pre.emplace_back("decoder.blocks.0.norm1.weight", test::random_tensor({96}, 72));
  pre.emplace_back("encoder_to_decoder.weight", test::random_tensor({96, 192}, 73));
  pre.emplace_back("mask_token", test::random_tensor({1, 1, 96}, 74));
  write_safetensors(pre_path, pre);
  models::VideoMAEEncoder from_pre(o, other);
  models::init_encoder(pre_path, from_pre);
  const auto loaded = nn::state_dict(from_pre);
  for (size_t i = 0; i < loaded.size(); ++i) {
    if (loaded[i].first == "fc_norm.weight") {
      CHECK(test::bit_equal(loaded[i].second, Tensor::ones({192})));  // the reference's fresh init
    } else if (loaded[i].first == "fc_norm.bias") {
      CHECK(test::bit_equal(loaded[i].second, Tensor::zeros({192})));
    } else {
      CHECK_MESSAGE(test::bit_equal(loaded[i].second, weights[i].second), loaded[i].first);
    }
  }

  // A fine-tuning state_dict with an RGB tubelet filter, a head and the fixed table of another size.
  const std::string fine_path = temp_path("finetune.safetensors");
  NamedTensors fine;
  const Tensor rgb = test::random_tensor({192, 3, 2, 16, 16}, 80);
  for (const auto& [name, t] : weights) fine.emplace_back(name, name == "patch_embed.proj.weight" ? rgb : t);
  fine.emplace_back("head.weight", test::random_tensor({400, 192}, 81));
  fine.emplace_back("pos_embed", models::sinusoid_table(1568, 192));
  write_safetensors(fine_path, fine);
  models::VideoMAEEncoder from_fine(o, other);
  models::init_encoder(fine_path, from_fine);
  const std::vector<float> w3 = rgb.to_vector(), w1 = from_fine.videomae->patch_embed->proj->weight.to_vector();
  REQUIRE(w1.size() * 3 == w3.size());
  for (size_t d = 0; d < 192; d += 41)
    for (size_t k = 0; k < 512; k += 97)
      CHECK(w1[d * 512 + k] == doctest::Approx(w3[d * 1536 + k] + w3[d * 1536 + 512 + k] + w3[d * 1536 + 1024 + k]));
  CHECK(test::bit_equal(from_fine.videomae->fc_norm->weight, source.videomae->fc_norm->weight));

  // A learned position embedding, a layer scale and a wrong width are refused by name.
  const std::string bad_path = temp_path("bad.safetensors");
  NamedTensors learned = weights;
  learned.emplace_back("pos_embed", test::random_tensor({1, 98, 192}, 90));
  write_safetensors(bad_path, learned);
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_fine), doctest::Contains("use_learnable_pos_emb"), Error);
  NamedTensors scaled = weights;
  scaled.emplace_back("blocks.0.gamma_1", test::random_tensor({192}, 91));
  write_safetensors(bad_path, scaled);
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_fine), doctest::Contains("init_values"), Error);
  models::VideoMAEEncoder small(mae_options(models::Backbone::VideoMAESmall, 4), gen);
  write_safetensors(bad_path, nn::state_dict(small));
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_fine), doctest::Contains("patch_embed.proj.weight"), Error);
  models::ResNet18 resnet(models::ResNetOptions{1, 0}, gen);
  write_safetensors(bad_path, nn::state_dict(resnet));
  CHECK_THROWS_WITH_AS(models::init_encoder(bad_path, from_fine), doctest::Contains("VideoMAE fine-tuning"), Error);

  // Our own checkpoint, saved and loaded back (load_module) and through --init.
  const std::string ours_path = temp_path("ours.safetensors");
  models::PretrainModel a(o, gen), b(o, other);
  models::save_module(ours_path, a);
  models::load_module(ours_path, b);
  const auto sa = nn::state_dict(a), sb = nn::state_dict(b);
  CHECK(sa[0].first == "encoder.patch_embed.proj.weight");
  for (size_t i = 0; i < sa.size(); ++i) CHECK_MESSAGE(test::bit_equal(sa[i].second, sb[i].second), sa[i].first);
  models::VideoMAEEncoder again(o, other);
  models::init_encoder(ours_path, again);
  CHECK(test::bit_equal(again.videomae->fc_norm->bias,
                        dynamic_cast<models::VideoMAEEncoder&>(*a.encoder).videomae->fc_norm->bias));
  for (const std::string& p : {pre_path, fine_path, bad_path, ours_path}) std::remove(p.c_str());
}
