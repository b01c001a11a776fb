// tests/run_shards.sh, which `make test` and `make asan` run learner_tests through: every case
// selected runs exactly once across the shards, names with commas included, and a failing
// or empty selection fails the run. Driven on this very binary with a few fast cases.
#include <doctest/doctest.h>

#include <string>

#include "tests/util/data_test_util.h"

namespace {

const std::string kScript = std::string(LEARNER_SOURCE_DIR) + "/tests/run_shards.sh";
const std::string kSelf = std::string(LEARNER_BUILD_DIR) + "/learner_tests";

}  // namespace

TEST_CASE("run_shards: each selected case runs once across the shards, commas in names included") {
  // Three fast cases, two of whose names hold commas (doctest's filter separator).
  const std::string selection = "-tc='normalize_pixel is*,manifest rows parse with quotes*,manifest errors name the manifest*'";
  const auto run = learner::test::run_command(kScript + " " + kSelf + " 2 " + selection);
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  CHECK_MESSAGE(run.output.find("---- shard 1 of 2: 2 test cases, exit 0 ----") != std::string::npos, run.output);
  CHECK_MESSAGE(run.output.find("---- shard 2 of 2: 1 test cases, exit 0 ----") != std::string::npos, run.output);
  CHECK_MESSAGE(run.output.find("run_shards: all 3 test cases passed in 2 shards") != std::string::npos, run.output);

  // More shards than cases: one case each.
  const auto many = learner::test::run_command(kScript + " " + kSelf + " 8 " + selection);
  REQUIRE_MESSAGE(many.exit_code == 0, many.output);
  CHECK_MESSAGE(many.output.find("all 3 test cases passed in 3 shards") != std::string::npos, many.output);
}

TEST_CASE("run_shards: a bad shard count or a selection of nothing fails, saying why") {
  const auto bad = learner::test::run_command(kScript + " " + kSelf + " two");
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.output.find("SHARDS must be a positive integer, not 'two'") != std::string::npos, bad.output);

  const auto none = learner::test::run_command(kScript + " " + kSelf + " 2 -tc='no such test case*'");
  CHECK(none.exit_code != 0);
  CHECK_MESSAGE(none.output.find("no test case of") != std::string::npos, none.output);
}

TEST_CASE("run_shards: a shard whose process fails fails the run") {
  // A stand-in binary: lists two cases like doctest, counts what it is given, and fails.
  learner::test::TempDir dir("run_shards");
  const std::string fake = dir / "fake_tests";
  learner::test::write_text(fake,
                            "#!/bin/sh\n"
                            "case \"$1\" in\n"
                            "  -ltc) printf '[doctest] listing\\n====================\\nfirst case\\nsecond case\\n"
                            "====================\\n' ;;\n"
                            "  --count) echo '[doctest] unskipped test cases passing the current filters: 1' ;;\n"
                            "  *) echo \"ran $1\"; exit 3 ;;\n"
                            "esac\n");
  learner::test::run_command("chmod +x " + fake);
  const auto run = learner::test::run_command(kScript + " " + fake + " 2");
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.output.find("ran -tc=first case") != std::string::npos, run.output);
  CHECK_MESSAGE(run.output.find("ran -tc=second case") != std::string::npos, run.output);
  CHECK_MESSAGE(run.output.find("2 of 2 shards failed") != std::string::npos, run.output);
}
