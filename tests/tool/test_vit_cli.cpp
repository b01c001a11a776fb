// ViT through the `learner` tools on a tiny cohort: pretrain with AdamW and warm-up, resume to
// the same bits, classify, eval, embed; --init from a timm-named state_dict; bad --init named.
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/vit.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

// 8 synthetic patients at 32 px: a 2 x 2 patch grid for ViT.
const std::string& cohort() { return test::tiny_packed_cohort("0.5,0.25,0.25"); }

std::string pretrain(const std::string& out, const std::string& extra) {
  return test::learner_binary() + " pretrain --data " + cohort() + " --out " + out +
         " --backbone vit-tiny --optimizer adamw --weight-decay 0.05 --warmup-steps 2 --lr 1e-4"
         " --frames 2 --batch 2 --epochs 3 --workers 1 --device cpu " + extra;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("vit-tiny: pretrain with adamw, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("vit_cli");
  auto straight = run_command(pretrain(dir / "straight", "--steps 4 --validate 0"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);
  auto half = run_command(pretrain(dir / "run", "--steps 2 --validate 0"));
  REQUIRE_MESSAGE(half.exit_code == 0, half.output);
  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "run") + " --steps 4");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(read_file(dir / "run/checkpoints/last.safetensors") == read_file(dir / "straight/checkpoints/last.safetensors"));
  std::ifstream config_in(dir / "run/config.json");
  const nlohmann::json config = nlohmann::json::parse(config_in);
  CHECK(config["backbone"] == "vit-tiny");
  CHECK(config["optimizer"] == "adamw");

  const SafetensorsFile ckpt = read_safetensors(dir / "run/checkpoints/last.safetensors");
  REQUIRE(ckpt.find("encoder.cls_token") != nullptr);
  CHECK(ckpt.find("encoder.pos_embed")->shape() == Shape{1, 5, 192});
  CHECK(ckpt.find("encoder.blocks.11.mlp.fc2.weight") != nullptr);

  const std::string b = test::learner_binary();
  auto classify = run_command(b + " classify --run " + (dir / "run") + " --epochs 2 --device cpu --workers 1");
  REQUIRE_MESSAGE(classify.exit_code == 0, classify.output);
  auto eval = run_command(b + " eval --run " + (dir / "run") + " --split all --device cpu --workers 1");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(eval.output.find("macro F1") != std::string::npos);
  auto embed = run_command(b + " embed --checkpoint " + (dir / "run/checkpoints/last.safetensors") + " --data " +
                           cohort() + " --out " + (dir / "emb.h5") + " --backbone vit-tiny --frames 2 --device cpu");
  REQUIRE_MESSAGE(embed.exit_code == 0, embed.output);
  auto h5 = run_command("/usr/bin/python3 -c \"import h5py; print(h5py.File('" + (dir / "emb.h5") +
                        "')['embeddings'].shape[1])\"");
  REQUIRE_MESSAGE(h5.exit_code == 0, h5.output);
  CHECK(h5.output.find("192") == 0);
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
