// Yes/no flags of the `learner` tool (tools/bool_flag.h): every one works as a switch
// (`--sync-bn`), as a negation (`--no-augment`), with a value (`--augment 0`, `--shuffle=0`)
// and from a --config file, and a bad value is one line naming the flag.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/util/data_test_util.h"

using namespace learner;
using test::run_command;

namespace {

// A tiny packed cohort for the pretrain cases, made once per test process.
struct FlagCohort {
  test::TempDir dir{"bool_flags"};
  std::string h5 = dir / "c.h5";
  FlagCohort() {
    const std::string b = test::learner_binary();
    const auto synth = run_command(b + " synth --fast=yes --patients 4 --seed 2 --out " + (dir / "synth"));
    REQUIRE_MESSAGE(synth.exit_code == 0, synth.output);
    const auto pack = run_command(b + " pack --manifest " + (dir / "synth/manifest.csv") + " --out " + h5 +
                                  " --size 16 --split 1,0,0 --skip-bad 1");
    REQUIRE_MESSAGE(pack.exit_code == 0, pack.output);
  }
};
FlagCohort& cohort() {
  static FlagCohort c;
  return c;
}

// Runs one pretrain step with `flags` and returns the run's config.json.
nlohmann::json pretrain_config(const std::string& name, const std::string& flags) {
  const std::string out = cohort().dir / name;
  const auto r = run_command(test::learner_binary() + " pretrain --data " + cohort().h5 + " --out " + out +
                             " --frames 2 --batch 2 --steps 1 --workers 1 --device cpu " + flags);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  std::ifstream in(out + "/config.json");
  return nlohmann::json::parse(in);
}

struct Bools {
  bool sync_bn, augment, shuffle, validate;
};
void check_bools(const nlohmann::json& config, const Bools& expected) {
  CHECK(config.at("sync-bn").get<bool>() == expected.sync_bn);
  CHECK(config.at("augment").get<bool>() == expected.augment);
  CHECK(config.at("shuffle").get<bool>() == expected.shuffle);
  CHECK(config.at("validate").get<bool>() == expected.validate);
}

}  // namespace

TEST_CASE("pretrain yes/no flags: switch, --no- form, explicit value and --config") {
  SUBCASE("defaults") { check_bools(pretrain_config("defaults", "--validate 0"), {false, true, true, false}); }
  SUBCASE("switches, as docs/multi-gpu.md writes --sync-bn before another flag") {
    check_bools(pretrain_config("switches", "--sync-bn --no-augment --no-shuffle --no-validate"), {true, false, false, false});
  }
  SUBCASE("explicit values in every spelling, the last one given wins") {
    check_bools(pretrain_config("values", "--sync-bn 1 --augment 0 --shuffle=0 --validate=false --augment=yes --no-sync-bn"),
                {false, true, false, false});
  }
  SUBCASE("--config takes true/false/0/1 and the command line overrides it") {
    const std::string config = cohort().dir / "flags.json";
    test::write_text(config, R"({"sync_bn": true, "augment": false, "shuffle": 0, "validate": "false"})");
    check_bools(pretrain_config("config", "--config " + config + " --no-sync-bn"), {false, false, false, false});
    check_bools(pretrain_config("config2", "--config " + config + " --augment"), {true, true, false, false});
  }
}

TEST_CASE("a bad yes/no value is one line naming the flag and the accepted values") {
  const std::string b = test::learner_binary();
  const auto bad = run_command(b + " pretrain --data " + cohort().h5 + " --out " + (cohort().dir / "bad") + " --augment maybe");
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.output.find("--augment must be 1 or 0, got maybe (true/false") != std::string::npos, bad.output);
  CHECK(bad.output.find('\n') == bad.output.size() - 1);  // one line
  CHECK_FALSE(test::file_exists(cohort().dir / "bad"));

  const std::string config = cohort().dir / "bad.json";
  test::write_text(config, R"({"sync-bn": "sometimes"})");
  const auto bad_config = run_command(b + " pretrain --data " + cohort().h5 + " --out " + (cohort().dir / "bad") +
                                      " --config " + config);
  CHECK(bad_config.exit_code != 0);
  CHECK_MESSAGE(bad_config.output.find("'sync-bn' is a yes/no flag; give true, false, 1 or 0, got \"sometimes\"") !=
                    std::string::npos,
                bad_config.output);
}

TEST_CASE("pack, inspect and synth yes/no flags take the same forms") {
  const std::string b = test::learner_binary();
  const std::string manifest = cohort().dir / "synth/manifest.csv";
  const auto lower = run_command(b + " pack --manifest " + manifest + " --out " + (cohort().dir / "lower.h5") +
                                 " --size 16 --score-range 0,500 --band 25 --no-higher-better --skip-bad");
  REQUIRE_MESSAGE(lower.exit_code == 0, lower.output);
  CHECK(lower.output.find("lower is better") != std::string::npos);
  const auto higher = run_command(b + " pack --manifest " + manifest + " --out " + (cohort().dir / "higher.h5") +
                                  " --size 16 --higher-better=0 --higher-better 1 --no-skip-bad");
  REQUIRE_MESSAGE(higher.exit_code == 0, higher.output);
  CHECK(higher.output.find("higher is better") != std::string::npos);

  // A switch before a positional argument leaves the argument alone.
  for (const char* quick : {" --quick ", " --quick 1 ", " --quick=on "}) {
    const auto r = run_command(b + " inspect" + quick + cohort().h5);
    CHECK_MESSAGE(r.output.find("not read (--quick)") != std::string::npos, r.output);
  }
  for (const char* full : {" --no-quick ", " --quick 0 "}) {
    const auto r = run_command(b + " inspect" + full + cohort().h5);
    CHECK_MESSAGE(r.output.find("every frame readable") != std::string::npos, r.output);
  }
  const auto synth = run_command(b + " synth --fast 1 --patients 2 --out " + (cohort().dir / "one"));
  CHECK_MESSAGE(synth.exit_code == 0, synth.output);
  const auto bad = run_command(b + " synth --fast=2 --out " + (cohort().dir / "two"));
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("--fast must be 1 or 0, got 2") != std::string::npos);
}
