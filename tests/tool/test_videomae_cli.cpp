// VideoMAE through the `learner` tools on a tiny cohort: pretrain, resume to the same bits,
// classify, eval, embed; --init from a reference-named fine-tuning state_dict; odd --frames and
// a bad --init refused by name.
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/videomae.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

// 8 synthetic patients at 32 px: a 2 x 2 patch grid; T 2 is one tubelet per position.
const std::string& cohort() { return test::tiny_packed_cohort("0.5,0.25,0.25"); }

std::string pretrain(const std::string& out, const std::string& extra, int frames = 2) {
  return test::learner_binary() + " pretrain --data " + cohort() + " --out " + out +
         " --backbone videomae-tiny --optimizer adamw --weight-decay 0.05 --warmup-steps 2 --lr 1e-4"
         " --frames " + std::to_string(frames) + " --batch 2 --epochs 3 --workers 1 --device cpu " + extra;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("videomae-tiny: pretrain, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("videomae_cli");
  auto straight = run_command(pretrain(dir / "straight", "--steps 4 --validate 0"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);
  auto half = run_command(pretrain(dir / "run", "--steps 2 --validate 0"));
  REQUIRE_MESSAGE(half.exit_code == 0, half.output);
  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "run") + " --steps 4");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(read_file(dir / "run/checkpoints/last.safetensors") == read_file(dir / "straight/checkpoints/last.safetensors"));
  std::ifstream config_in(dir / "run/config.json");
  const nlohmann::json config = nlohmann::json::parse(config_in);
  CHECK(config["backbone"] == "videomae-tiny");

  const SafetensorsFile ckpt = read_safetensors(dir / "run/checkpoints/last.safetensors");
  REQUIRE(ckpt.find("encoder.patch_embed.proj.weight") != nullptr);
  CHECK(ckpt.find("encoder.patch_embed.proj.weight")->shape() == Shape{192, 1, 2, 16, 16});
  CHECK(ckpt.find("encoder.blocks.11.attn.q_bias") != nullptr);
  CHECK(ckpt.find("encoder.fc_norm.weight") != nullptr);
  CHECK(ckpt.find("encoder.pos_embed") == nullptr);  // fixed, not saved (as the reference)

  const std::string b = test::learner_binary();
  auto classify = run_command(b + " classify --run " + (dir / "run") + " --epochs 2 --device cpu --workers 1");
  REQUIRE_MESSAGE(classify.exit_code == 0, classify.output);
  auto eval = run_command(b + " eval --run " + (dir / "run") + " --split all --device cpu --workers 1");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(eval.output.find("macro F1") != std::string::npos);
  auto embed = run_command(b + " embed --checkpoint " + (dir / "run/checkpoints/last.safetensors") + " --data " +
                           cohort() + " --out " + (dir / "emb.h5") + " --backbone videomae-tiny --frames 2 --device cpu");
  REQUIRE_MESSAGE(embed.exit_code == 0, embed.output);
  auto h5 = run_command("/usr/bin/python3 -c \"import h5py; print(h5py.File('" + (dir / "emb.h5") +
                        "')['embeddings'].shape[1])\"");
  REQUIRE_MESSAGE(h5.exit_code == 0, h5.output);
  CHECK(h5.output.find("192") == 0);
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
