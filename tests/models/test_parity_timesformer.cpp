// Parity with facebookresearch/TimeSformer's divided space-time VisionTransformer:
// tests/parity/timesformer_reference.py (our transcription of timesformer/models/vit.py with the
// same state_dict names and math) saves random weights as the reference's state_dict; the shared
// check (transformer_parity.h) loads them through --init's import (models/timesformer_import.h)
// and compares weights, the parameter count, eval embeddings and gradients against the
// reference's float64 gradients.
#include "tests/models/transformer_parity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

const test::TransformerReference kTimeSformer{"timesformer_reference.py", "timesformer", "timesformer.safetensors",
                                              "done.txt", models::Backbone::TimeSformerTiny, /*needs_timm=*/false,
                                              /*counts_parameters=*/true};
const test::ParityCase kCases[] = {{"t8", 112, 112, 8}, {"odd", 80, 144, 3}};

}  // namespace

TEST_CASE("timesformer-tiny matches TimeSformer's VisionTransformer on the CPU (112 px T 8; 80 x 144 T 3 from a 224 px T 8 RGB file)") {
  if (!test::torch_present()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (install python3-torch: `make deps`)");
    return;
  }
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimeSformer, c, Device::cpu());
}

TEST_CASE("timesformer-tiny matches TimeSformer's VisionTransformer on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  if (!test::torch_present()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (install python3-torch: `make deps`)");
    return;
  }
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimeSformer, c, Device::cuda(0));
}
