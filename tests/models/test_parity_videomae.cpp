// Parity with MCG-NJU/VideoMAE's fine-tuning VisionTransformer: tests/parity/videomae_reference.py
// (a compact transcription of modeling_finetune.py with the same state_dict names and math)
// saves random weights as the reference's state_dict; the shared check (transformer_parity.h)
// loads them through --init's import (models/videomae_import.h) and compares weights, the
// parameter count, eval embeddings and gradients against the reference's float64 gradients.
#include "tests/models/transformer_parity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

const test::TransformerReference kVideoMAE{"videomae_reference.py", "videomae", "videomae.safetensors", "done.txt",
                                           models::Backbone::VideoMAETiny, /*needs_timm=*/false,
                                           /*counts_parameters=*/true};
const test::ParityCase kCases[] = {{"t8", 112, 112, 8}, {"odd", 80, 144, 4}};

}  // namespace

TEST_CASE("videomae-tiny matches VideoMAE's VisionTransformer on the CPU (112 px T 8; 80 x 144 T 4 from an RGB file)") {
  if (!test::torch_present()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (install python3-torch: `make deps`)");
    return;
  }
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kVideoMAE, c, Device::cpu());
}

TEST_CASE("videomae-tiny matches VideoMAE's VisionTransformer on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  if (!test::torch_present()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (install python3-torch: `make deps`)");
    return;
  }
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kVideoMAE, c, Device::cuda(0));
}
