// TimeSformer through the `learner` tools on a tiny cohort: pretrain, resume to the same bits,
// classify, eval, embed; odd --frames; --init from the TimeSformer wrapper's state_dict (RGB,
// another grid and T); a bad --init refused by name.
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/timesformer.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

// 8 synthetic patients at 32 px: a 2 x 2 patch grid.
const std::string& cohort() { return test::tiny_packed_cohort("0.5,0.25,0.25"); }

std::string pretrain(const std::string& out, const std::string& extra, int frames = 2) {
  return test::learner_binary() + " pretrain --data " + cohort() + " --out " + out +
         " --backbone timesformer-tiny --optimizer adamw --weight-decay 0.05 --warmup-steps 2 --lr 1e-4"
         " --frames " + std::to_string(frames) + " --batch 2 --epochs 3 --workers 1 --device cpu " + extra;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("timesformer-tiny: pretrain, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("timesformer_cli");
  auto straight = run_command(pretrain(dir / "straight", "--steps 4 --validate 0"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);
  auto half = run_command(pretrain(dir / "run", "--steps 2 --validate 0"));
  REQUIRE_MESSAGE(half.exit_code == 0, half.output);
  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "run") + " --steps 4");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(read_file(dir / "run/checkpoints/last.safetensors") == read_file(dir / "straight/checkpoints/last.safetensors"));
  std::ifstream config_in(dir / "run/config.json");
  const nlohmann::json config = nlohmann::json::parse(config_in);
  CHECK(config["backbone"] == "timesformer-tiny");

  const SafetensorsFile ckpt = read_safetensors(dir / "run/checkpoints/last.safetensors");
  REQUIRE(ckpt.find("encoder.time_embed") != nullptr);
  CHECK(ckpt.find("encoder.time_embed")->shape() == Shape{1, 2, 192});
  CHECK(ckpt.find("encoder.pos_embed")->shape() == Shape{1, 5, 192});
  CHECK(ckpt.find("encoder.blocks.11.temporal_fc.weight") != nullptr);

  const std::string b = test::learner_binary();
  auto classify = run_command(b + " classify --run " + (dir / "run") + " --epochs 2 --device cpu --workers 1");
  REQUIRE_MESSAGE(classify.exit_code == 0, classify.output);
  auto eval = run_command(b + " eval --run " + (dir / "run") + " --split all --device cpu --workers 1");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(eval.output.find("macro F1") != std::string::npos);
  auto embed = run_command(b + " embed --checkpoint " + (dir / "run/checkpoints/last.safetensors") + " --data " +
                           cohort() + " --out " + (dir / "emb.h5") + " --backbone timesformer-tiny --frames 2 --device cpu");
  REQUIRE_MESSAGE(embed.exit_code == 0, embed.output);
  auto h5 = run_command("/usr/bin/python3 -c \"import h5py; print(h5py.File('" + (dir / "emb.h5") +
                        "')['embeddings'].shape[1])\"");
  REQUIRE_MESSAGE(h5.exit_code == 0, h5.output);
  CHECK(h5.output.find("192") == 0);
}

TEST_CASE("timesformer-tiny: odd --frames with --init from the wrapper's state_dict; a bad --init named") {
  test::TempDir dir("timesformer_init");
  // The TimeSformer wrapper's state_dict (model.*) at RGB, 64 px (a 4 x 4 grid) and T 8, with a
  // Kinetics head: the import sums the filters and resizes pos_embed and time_embed to 2 x 2, T 3.
  models::TimeSformer reference_like(models::timesformer_config("tiny", 3, 8, 64, 64));
  NamedTensors file;
  for (const auto& [name, t] : nn::state_dict(reference_like)) file.emplace_back("model." + name, t);
  file.emplace_back("model.head.weight", Tensor::zeros({400, 192}));
  file.emplace_back("model.head.bias", Tensor::zeros({400}));
  write_safetensors(dir / "timesformer.safetensors", file);
  auto ok = run_command(pretrain(dir / "run", "--steps 1 --validate 0 --init " + (dir / "timesformer.safetensors"), 3));
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  const SafetensorsFile ckpt = read_safetensors(dir / "run/checkpoints/last.safetensors");
  REQUIRE(ckpt.find("encoder.time_embed") != nullptr);
  CHECK(ckpt.find("encoder.time_embed")->shape() == Shape{1, 3, 192});

  // Another width (D 96): the first tensor that does not fit is named with the file.
  models::TimeSformerConfig narrow = models::timesformer_config("tiny", 1, 3, 32, 32);
  narrow.width = 96, narrow.depth = 2;
  models::TimeSformer narrow_model(narrow);
  write_safetensors(dir / "narrow.safetensors", nn::state_dict(narrow_model));
  auto bad = run_command(pretrain(dir / "bad", "--steps 1 --validate 0 --init " + (dir / "narrow.safetensors"), 3));
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("narrow.safetensors") != std::string::npos);
  CHECK(bad.output.find("tensor 'encoder.cls_token'") != std::string::npos);
  CHECK_FALSE(test::file_exists(dir / "bad/checkpoints/last.safetensors"));
}
