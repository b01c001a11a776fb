// Swin through the `learner` tools on a tiny cohort: pretrain with AdamW, resume to the same
// bits, classify, eval, embed (transformer_cli.h); --init from a timm state_dict at 224 px RGB
// (filters summed, the bias tables of the 32 px model's smaller windows cropped) and a bad
// --init refused by name.
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/swin.h"
#include "tests/tool/transformer_cli.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

TEST_CASE("swin-tiny: pretrain with adamw, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("swin_cli");
  const SafetensorsFile ckpt = test::check_transformer_round_trip("swin-tiny", dir, 768);
  // 32 px: an 8 x 8 grid, so stage 1 keeps 7 x 7 windows (169-row tables) and stage 2 (4 x 4)
  // shrinks them to 4 x 4 (49 rows).
  REQUIRE(ckpt.find("encoder.layers.0.blocks.1.attn.relative_position_bias_table") != nullptr);
  CHECK(ckpt.find("encoder.layers.0.blocks.1.attn.relative_position_bias_table")->shape() == Shape{169, 3});
  CHECK(ckpt.find("encoder.layers.1.blocks.1.attn.relative_position_bias_table")->shape() == Shape{49, 6});
  CHECK(ckpt.find("encoder.layers.3.downsample.reduction.weight")->shape() == Shape{768, 1536});
  CHECK(ckpt.find("encoder.norm.weight")->shape() == Shape{768});
}

TEST_CASE("swin-tiny --init: a timm state_dict at 224 px RGB loads; a ViT file is refused by name") {
  test::TempDir dir("swin_init");
  models::SwinTransformer timm_like(models::swin_config("tiny", 3, 224, 224));
  NamedTensors file = nn::state_dict(timm_like);
  file.emplace_back("head.fc.weight", Tensor::zeros({1000, 768}));
  file.emplace_back("head.fc.bias", Tensor::zeros({1000}));
  write_safetensors(dir / "timm.safetensors", file);
  auto ok = run_command(test::transformer_pretrain("swin-tiny", dir / "run",
                                                   "--steps 1 --validate 0 --init " + (dir / "timm.safetensors")));
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  const SafetensorsFile ckpt = read_safetensors(dir / "run/checkpoints/last.safetensors");
  CHECK(ckpt.find("encoder.patch_embed.proj.weight")->shape() == Shape{96, 1, 4, 4});
  CHECK(ckpt.find("encoder.layers.3.blocks.0.attn.relative_position_bias_table")->shape() == Shape{1, 24});

  models::VisionTransformer vit(models::vit_config("tiny", 1, 32, 32));
  write_safetensors(dir / "vit.safetensors", nn::state_dict(vit));
  auto bad = run_command(test::transformer_pretrain("swin-tiny", dir / "bad",
                                                    "--steps 1 --validate 0 --init " + (dir / "vit.safetensors")));
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("vit.safetensors") != std::string::npos);
  CHECK(bad.output.find("nor a timm SwinTransformer") != std::string::npos);
  CHECK_FALSE(test::file_exists(dir / "bad/checkpoints/last.safetensors"));
}
