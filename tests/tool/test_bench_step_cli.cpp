// `learner bench step` (tools/bench_step.cpp): it times every backbone pretrain takes, and
// refuses a backbone it does not know by naming the flag and the choices. Only learner's side
// runs here (--no-pytorch): the comparison with PyTorch is a benchmark, not a test.
#include <doctest/doctest.h>

#include <string>

#include "tests/util/data_test_util.h"

using learner::test::learner_binary;
using learner::test::learner_ok;
using learner::test::run_command;

TEST_CASE("bench step: times a ResNet and a transformer backbone's training and embedding steps") {
  for (const std::string backbone : {"resnet2d", "vit-tiny"}) {
    CAPTURE(backbone);
    const std::string out = learner_ok("bench step --backbone " + backbone +
                                       " --size 32 --batch 4 --frames 2 --steps 1 --warmup 0 --no-pytorch");
    CHECK_MESSAGE(out.find("bench step: " + backbone + ", B 4 x T 2 frames") != std::string::npos, out);
    CHECK_MESSAGE(out.find("train  learner") != std::string::npos, out);
    CHECK_MESSAGE(out.find("embed  learner") != std::string::npos, out);
  }
}

TEST_CASE("bench step: an unknown backbone is refused with the choices") {
  const auto result = run_command(learner_binary() + " bench step --backbone vit-huge --no-pytorch 2>&1");
  CHECK(result.exit_code != 0);
  CHECK_MESSAGE(result.output.find("--backbone must be one of") != std::string::npos, result.output);
  CHECK_MESSAGE(result.output.find("vit-tiny") != std::string::npos, result.output);
  CHECK_MESSAGE(result.output.find("got 'vit-huge'") != std::string::npos, result.output);
}
