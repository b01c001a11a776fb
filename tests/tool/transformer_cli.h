// What the command-line tests of the transformer backbones share: the tiny cohort, a pretrain
// command line (AdamW with warm-up, as transformers are trained) and the round trip every
// backbone must pass through the tools.
#pragma once

#include <string>

#include "framework/safetensors.h"
#include "tests/util/data_test_util.h"

namespace learner::test {

// 8 synthetic patients at 32 px (tiny_packed_cohort), split 0.5 / 0.25 / 0.25.
const std::string& transformer_cohort();

// `learner pretrain` of BACKBONE on that cohort into OUT: AdamW, weight decay 0.05, 2 warm-up
// steps, lr 1e-4, B 2, 3 epochs, one worker, CPU; `extra` is appended.
std::string transformer_pretrain(const std::string& backbone, const std::string& out, const std::string& extra,
                                 int frames = 2);

// Pretrains 4 steps straight and 2 + a resume to 4 (the checkpoints must be the same bits),
// checks config.json names the backbone and AdamW, then classify, eval (prints macro F1) and
// embed (an HDF5 of `embedding_width` columns) on the resumed run, all in `dir`. Returns the
// resumed run's last checkpoint for the caller's own checks.
SafetensorsFile check_transformer_round_trip(const std::string& backbone, const TempDir& dir, int64_t embedding_width);

}  // namespace learner::test
