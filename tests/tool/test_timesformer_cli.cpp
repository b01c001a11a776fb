// TimeSformer through the `learner` tools on a tiny cohort: pretrain, resume to the same bits,
// classify, eval, embed; odd --frames; --init from the TimeSformer wrapper's state_dict (RGB,
// another grid and T); a bad --init refused by name.
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "models/timesformer.h"
#include "tests/tool/transformer_cli.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

std::string pretrain(const std::string& out, const std::string& extra, int frames = 2) {
  return test::transformer_pretrain("timesformer-tiny", out, extra, frames);
}

}  // namespace

TEST_CASE("timesformer-tiny: pretrain, resume to the same bits, classify, eval, embed") {
  test::TempDir dir("timesformer_cli");
  const SafetensorsFile ckpt = test::check_transformer_round_trip("timesformer-tiny", dir, 192);
  REQUIRE(ckpt.find("encoder.time_embed") != nullptr);
  CHECK(ckpt.find("encoder.time_embed")->shape() == Shape{1, 2, 192});
  CHECK(ckpt.find("encoder.pos_embed")->shape() == Shape{1, 5, 192});
  CHECK(ckpt.find("encoder.blocks.11.temporal_fc.weight") != nullptr);
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
