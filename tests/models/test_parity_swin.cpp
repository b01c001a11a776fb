// Parity with timm's SwinTransformer (pinned timm installed by scripts/python-deps.sh, with
// timm >= 1.0's padding patch merging): tests/parity/swin_reference.py saves random timm weights
// as timm's state_dict; the shared check (transformer_parity.h) loads them through --init's
// import (models/swin_import.h) and compares weights, eval embeddings and gradients against
// timm's float64 gradients.
#include "tests/models/transformer_parity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

const test::TransformerReference kTimm{"swin_reference.py", "swin", "timm.safetensors", "timm_version.txt",
                                       models::Backbone::SwinTiny, /*needs_timm=*/true, /*counts_parameters=*/true};
// 112 px: stage 3 at 7 x 7 (one window, no shift), stage 4 a 4 x 4 map in windows of 3 (padded
// to 6 x 6). 80 x 144: padding under a shift, a 5 x 7 window, bias tables cropped on import.
const test::ParityCase kCases[] = {{"t8", 112, 112, 8}, {"odd", 80, 144, 3}};

}  // namespace

TEST_CASE("swin-tiny matches timm's SwinTransformer on the CPU (112 px T 8; 80 x 144 T 3 from a 224 px RGB file)") {
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimm, c, Device::cpu());
}

TEST_CASE("swin-tiny matches timm's SwinTransformer on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  for (const test::ParityCase& c : kCases) test::check_transformer_parity(kTimm, c, Device::cuda(0));
}
