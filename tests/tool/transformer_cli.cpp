// The transformer CLI round trip: transformer_cli.h.
#include "tests/tool/transformer_cli.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/util/test_util.h"

namespace learner::test {

const std::string& transformer_cohort() { return tiny_packed_cohort("0.5,0.25,0.25"); }

std::string transformer_pretrain(const std::string& backbone, const std::string& out, const std::string& extra,
                                 int frames) {
  return learner_binary() + " pretrain --data " + transformer_cohort() + " --out " + out + " --backbone " + backbone +
         " --optimizer adamw --weight-decay 0.05 --warmup-steps 2 --lr 1e-4 --frames " + std::to_string(frames) +
         " --batch 2 --epochs 3 --workers 1 --device cpu " + extra;
}

SafetensorsFile check_transformer_round_trip(const std::string& backbone, const TempDir& dir, int64_t embedding_width) {
  CAPTURE(backbone);
  auto straight = run_command(transformer_pretrain(backbone, dir / "straight", "--steps 4 --validate 0"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);
  auto half = run_command(transformer_pretrain(backbone, dir / "run", "--steps 2 --validate 0"));
  REQUIRE_MESSAGE(half.exit_code == 0, half.output);
  auto resumed = run_command(learner_binary() + " pretrain --resume --out " + (dir / "run") + " --steps 4");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(read_file(dir / "run/checkpoints/last.safetensors") == read_file(dir / "straight/checkpoints/last.safetensors"));
  std::ifstream config_in(dir / "run/config.json");
  const nlohmann::json config = nlohmann::json::parse(config_in);
  CHECK(config["backbone"] == backbone);
  CHECK(config["optimizer"] == "adamw");

  const std::string b = learner_binary();
  auto classify = run_command(b + " classify --run " + (dir / "run") + " --epochs 2 --device cpu --workers 1");
  REQUIRE_MESSAGE(classify.exit_code == 0, classify.output);
  auto eval = run_command(b + " eval --run " + (dir / "run") + " --split all --device cpu --workers 1");
  REQUIRE_MESSAGE(eval.exit_code == 0, eval.output);
  CHECK(eval.output.find("macro F1") != std::string::npos);
  auto embed = run_command(b + " embed --checkpoint " + (dir / "run/checkpoints/last.safetensors") + " --data " +
                           transformer_cohort() + " --out " + (dir / "emb.h5") + " --backbone " + backbone +
                           " --frames 2 --device cpu");
  REQUIRE_MESSAGE(embed.exit_code == 0, embed.output);
  auto h5 = run_command("/usr/bin/python3 -c \"import h5py; print(h5py.File('" + (dir / "emb.h5") +
                        "')['embeddings'].shape[1])\"");
  REQUIRE_MESSAGE(h5.exit_code == 0, h5.output);
  CHECK(h5.output.find(std::to_string(embedding_width)) == 0);
  return read_safetensors(dir / "run/checkpoints/last.safetensors");
}

}  // namespace learner::test
