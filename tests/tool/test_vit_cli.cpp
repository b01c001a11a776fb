// ViT through the `learner` tools on a tiny cohort: pretrain with AdamW and warm-up, resume to
// the same bits, classify, eval, embed; --init from a timm-named state_dict; bad --init named.
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/vit.h"
#include "tests/tool/transformer_cli.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

std::string pretrain(const std::string& out, const std::string& extra) {
  return test::transformer_pretrain("vit-tiny", out, extra);
}
const std::string& cohort() { return test::transformer_cohort(); }

}  // namespace

TEST_CASE("vit-tiny: pretrain with adamw, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("vit_cli");
  const SafetensorsFile ckpt = test::check_transformer_round_trip("vit-tiny", dir, 192);
  REQUIRE(ckpt.find("encoder.cls_token") != nullptr);
  CHECK(ckpt.find("encoder.pos_embed")->shape() == Shape{1, 5, 192});
  CHECK(ckpt.find("encoder.blocks.11.mlp.fc2.weight") != nullptr);
  const std::string b = test::learner_binary();
  // The wrong backbone for the checkpoint is refused by tensor name.
  auto wrong = run_command(b + " embed --checkpoint " + (dir / "run/checkpoints/last.safetensors") + " --data " +
                           cohort() + " --out " + (dir / "wrong.h5") + " --backbone vit-small --frames 2 --device cpu");
  CHECK(wrong.exit_code != 0);
  CHECK(wrong.output.find("encoder.cls_token") != std::string::npos);
  CHECK_FALSE(test::file_exists(dir / "wrong.h5"));
}

TEST_CASE("vit-tiny --init: a timm state_dict at 224 px RGB loads; a vit-small one is refused by name") {
  test::TempDir dir("vit_init");
  models::VisionTransformer timm_like(models::vit_config("tiny", 3, 224, 224));
  write_safetensors(dir / "timm.safetensors", nn::state_dict(timm_like));
  auto ok = run_command(pretrain(dir / "run", "--steps 1 --validate 0 --init " + (dir / "timm.safetensors")));
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  models::VisionTransformer small(models::vit_config("small", 1, 32, 32));
  write_safetensors(dir / "small.safetensors", nn::state_dict(small));
  auto bad = run_command(pretrain(dir / "bad", "--steps 1 --validate 0 --init " + (dir / "small.safetensors")));
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("small.safetensors") != std::string::npos);
  CHECK(bad.output.find("encoder.cls_token") != std::string::npos);
}
