// VideoMAE through the `learner` tools on a tiny cohort: pretrain, resume to the same bits,
// classify, eval, embed; --init from a reference-named fine-tuning state_dict; odd --frames and
// a bad --init refused by name.
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/videomae.h"
#include "tests/tool/transformer_cli.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

std::string pretrain(const std::string& out, const std::string& extra, int frames = 2) {
  return test::transformer_pretrain("videomae-tiny", out, extra, frames);
}

}  // namespace

TEST_CASE("videomae-tiny: pretrain, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("videomae_cli");
  const SafetensorsFile ckpt = test::check_transformer_round_trip("videomae-tiny", dir, 192);
  REQUIRE(ckpt.find("encoder.patch_embed.proj.weight") != nullptr);
  CHECK(ckpt.find("encoder.patch_embed.proj.weight")->shape() == Shape{192, 1, 2, 16, 16});
  CHECK(ckpt.find("encoder.blocks.11.attn.q_bias") != nullptr);
  CHECK(ckpt.find("encoder.fc_norm.weight") != nullptr);
  CHECK(ckpt.find("encoder.pos_embed") == nullptr);  // fixed, not saved (as the reference)
}

TEST_CASE("videomae-tiny: odd --frames refused; --init from a reference state_dict; a bad one named") {
  test::TempDir dir("videomae_init");
  auto odd = run_command(pretrain(dir / "odd", "--steps 1 --validate 0", 3));
  CHECK(odd.exit_code != 0);
  CHECK(odd.output.find("--frames 3 is odd") != std::string::npos);
  CHECK_FALSE(test::file_exists(dir / "odd/checkpoints/last.safetensors"));

  // The reference's fine-tuning state_dict at RGB with a Kinetics head (names without a prefix).
  models::VideoMAE reference_like(models::videomae_config("tiny", 3, 2, 32, 32));
  NamedTensors file = nn::state_dict(reference_like);
  file.emplace_back("head.weight", Tensor::zeros({400, 192}));
  file.emplace_back("head.bias", Tensor::zeros({400}));
  write_safetensors(dir / "videomae.safetensors", file);
  auto ok = run_command(pretrain(dir / "run", "--steps 1 --validate 0 --init " + (dir / "videomae.safetensors")));
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  models::VideoMAE small(models::videomae_config("small", 1, 2, 32, 32));
  write_safetensors(dir / "small.safetensors", nn::state_dict(small));
  auto bad = run_command(pretrain(dir / "bad", "--steps 1 --validate 0 --init " + (dir / "small.safetensors")));
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("small.safetensors") != std::string::npos);
  CHECK(bad.output.find("encoder.patch_embed.proj.weight") != std::string::npos);
}
