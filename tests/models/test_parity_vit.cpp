// Parity with timm's VisionTransformer (pinned timm installed by scripts/python-deps.sh):
// tests/parity/vit_reference.py saves random timm weights as timm's state_dict; this test
// loads them through --init's import (models/vit_import.h) and compares the weights after the
// import, the eval clip embeddings (1e-4 relative) and the gradients of MSE + wCL (cos)
// against timm's float64 gradients. Relative error: max|ours - theirs| / max|theirs|.
//
// Gradient tolerance: the reference's own float32 error. For each tensor, yardstick = the
// relative distance of timm's float32 gradient to its float64 gradient; ours (float32 too,
// with other summation orders) must be within kYardstickFactor times the case's largest
// yardstick. One number per case, measured from the reference, not chosen per tensor.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "framework/nn/state_dict.h"
#include "framework/ops.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

constexpr double kYardstickFactor = 4.0;

std::string reference_dir() {
  const std::string source = LEARNER_SOURCE_DIR;
  const std::string deps = source + "/scripts/python-deps.sh";
  REQUIRE_MESSAGE(std::system(deps.c_str()) == 0, "failed: ", deps,
                  " (installs the pinned timm with pip --no-deps into .pydeps/)");
  const std::string dir = std::string(LEARNER_BUILD_DIR) + "/parity_vit";
  const std::string script = source + "/tests/parity/vit_reference.py";
  struct stat out_stat {}, script_stat {};
  const bool fresh = ::stat((dir + "/timm_version.txt").c_str(), &out_stat) == 0 &&
                     ::stat(script.c_str(), &script_stat) == 0 && out_stat.st_mtime >= script_stat.st_mtime;
  if (!fresh) {
    const std::string cmd = "cd " + source + "/tests/parity && /usr/bin/python3 vit_reference.py --out " + dir;
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: ", cmd, " (needs python3-torch: run `make deps`)");
  }
  return dir;
}

double relative_error(const Tensor& ours, const Tensor& theirs) {
  const std::vector<float> a = ours.to(Device::cpu()).to_vector(), b = theirs.to_vector();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

const Tensor& find(const SafetensorsFile& f, const std::string& name) {
  const Tensor* t = f.find(name);
  REQUIRE_MESSAGE(t != nullptr, "reference lacks ", name);
  return *t;
}

struct Case {
  const char* name;
  int height, width, frames;
};

void run_case(const Case& c, Device device) {
  const std::string case_name = c.name;
  CAPTURE(case_name);
  const std::string dir = reference_dir() + "/" + c.name;
  const SafetensorsFile inputs = read_safetensors(dir + "/inputs.safetensors");
  const SafetensorsFile expected = read_safetensors(dir + "/expected.safetensors");
  models::EncoderOptions o;
  o.backbone = models::Backbone::ViTTiny;
  o.frames = c.frames;
  o.in_channels = 1;
  o.image_height = c.height;
  o.image_width = c.width;
  models::PretrainModel model(o);
  models::init_encoder(dir + "/timm.safetensors", *model.encoder);  // what --init does
  nn::load_state_dict(model, read_safetensors(dir + "/head.safetensors"), "", "head.safetensors",
                      nn::MissingTensors::Allow);
  for (auto& named : model.encoder->named_parameters()) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    auto& p = named.second;
    const double err = relative_error(*p, find(expected, "loaded." + name));
    CHECK_MESSAGE(err <= 1e-6, "imported ", name, ": relative error ", err);
  }
  model.to(device);
  const Tensor x = find(inputs, "x").to(device), y = find(inputs, "y").to(device);
  {
    model.eval();
    NoGradGuard no_grad;
    const double err = relative_error(model.run(x).embedding, find(expected, "eval.embedding"));
    MESSAGE(c.name, ": eval embedding relative error ", err);
    CHECK(err <= 1e-4);
  }
  model.train();
  const auto out = model.run(x);
  add(mse_loss(out.prediction, y), contrastive_loss(out.embedding, y, ContrastiveKind::WCL, Similarity::Cos, 0.05f))
      .backward();
  double largest_yardstick = 0;
  for (auto& [name, p] : model.named_parameters())
    largest_yardstick = std::max<double>(largest_yardstick, find(expected, "yardstick." + name).to_vector()[0]);
  const double tolerance = kYardstickFactor * largest_yardstick;
  double worst = 0, worst_reference = 0;
  std::string worst_name;
  for (auto& named : model.named_parameters()) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    auto& p = named.second;
    REQUIRE_MESSAGE(p->grad().defined(), name, " got no gradient");
    const double err = relative_error(p->grad(), find(expected, "grad64." + name));
    const double reference = find(expected, "yardstick." + name).to_vector()[0];
    CHECK_MESSAGE(err <= tolerance, "grad ", name, ": relative error to float64 ", err, " > ", tolerance,
                  " (timm float32 to float64: ", reference, ")");
    if (err > worst) {
      worst = err;
      worst_name = name;
      worst_reference = reference;
    }
  }
  MESSAGE(c.name, ": largest gradient error to float64 ", worst, " (", worst_name, "; timm float32 there ",
          worst_reference, ", largest timm float32 error ", largest_yardstick, ")");
}

const Case kCases[] = {{"t8", 112, 112, 8}, {"odd", 80, 144, 3}};

}  // namespace

TEST_CASE("vit-tiny matches timm's VisionTransformer on the CPU (112 px T 8; 80 x 144 T 3 from a 224 px RGB file)") {
  for (const Case& c : kCases) run_case(c, Device::cpu());
}

TEST_CASE("vit-tiny matches timm's VisionTransformer on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  for (const Case& c : kCases) run_case(c, Device::cuda(0));
}
