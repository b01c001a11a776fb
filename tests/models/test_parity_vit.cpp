// Parity with timm's VisionTransformer (pinned timm installed by scripts/python-deps.sh):
// tests/parity/vit_reference.py saves random timm weights as timm's state_dict; the shared check
// (transformer_parity.h) loads them through --init's import (models/vit_import.h) and compares
// weights, eval embeddings and gradients against timm's float64 gradients.
#include "tests/models/transformer_parity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

const test::TransformerReference kTimm{"vit_reference.py", "vit", "timm.safetensors", "timm_version.txt",
                                       models::Backbone::ViTTiny, /*needs_timm=*/true, /*counts_parameters=*/true};
const test::ParityCase kCases[] = {{"t8", 112, 112, 8}, {"odd", 80, 144, 3}};

}  // namespace

TEST_CASE("vit-tiny matches timm's VisionTransformer on the CPU (112 px T 8; 80 x 144 T 3 from a 224 px RGB file)") {
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimm, c, Device::cpu());
}

TEST_CASE("vit-tiny matches timm's VisionTransformer on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimm, c, Device::cuda(0));
}
