// The shared parity check of the transformer backbones: transformer_parity.h.
#include "tests/models/transformer_parity.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "framework/nn/state_dict.h"
#include "framework/ops.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "tests/util/test_util.h"

namespace learner::test {
namespace {

// Where things are: the compiled-in source and build folders, or on a machine the tree was
// copied to (scripts/gpu-check), LEARNER_SOURCE_ROOT, LEARNER_PARITY_REFERENCE (a folder for
// the data) and LEARNER_PARITY_PYTHON (the interpreter that has torch).
std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string python() { return env_or("LEARNER_PARITY_PYTHON", "/usr/bin/python3"); }

std::string reference_dir(const TransformerReference& reference) {
  const std::string source = env_or("LEARNER_SOURCE_ROOT", LEARNER_SOURCE_DIR);
  if (reference.needs_timm) {
    const std::string deps = source + "/scripts/python-deps.sh";
    REQUIRE_MESSAGE(std::system(deps.c_str()) == 0, "failed: ", deps,
                    " (installs the pinned timm with pip --no-deps into .pydeps/)");
  }
  const std::string dir = env_or("LEARNER_PARITY_REFERENCE", LEARNER_BUILD_DIR) + "/parity_" + reference.name;
  const std::string script = source + "/tests/parity/" + reference.script;
  struct stat out_stat {}, script_stat {};
  const bool fresh = ::stat((dir + "/" + reference.stamp).c_str(), &out_stat) == 0 &&
                     ::stat(script.c_str(), &script_stat) == 0 && out_stat.st_mtime >= script_stat.st_mtime;
  if (!fresh) {
    const std::string cmd = "cd " + source + "/tests/parity && " + python() + " " + reference.script + " --out " + dir;
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

}  // namespace

bool torch_present() { return std::system((python() + " -c 'import torch' > /dev/null 2>&1").c_str()) == 0; }

void check_transformer_parity(const TransformerReference& reference, const ParityCase& c, Device device) {
  const std::string case_name = c.name;
  CAPTURE(case_name);
  const std::string dir = reference_dir(reference) + "/" + c.name;
  const SafetensorsFile inputs = read_safetensors(dir + "/inputs.safetensors");
  const SafetensorsFile expected = read_safetensors(dir + "/expected.safetensors");
  models::EncoderOptions o;
  o.backbone = reference.backbone;
  o.frames = c.frames;
  o.in_channels = 1;
  o.image_height = c.height;
  o.image_width = c.width;
  models::PretrainModel model(o);
  models::init_encoder(dir + "/" + reference.weights, *model.encoder);  // what --init does
  nn::load_state_dict(model, read_safetensors(dir + "/head.safetensors"), "", "head.safetensors",
                      nn::MissingTensors::Allow);
  int64_t params = 0;
  for (auto& named : model.encoder->named_parameters()) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    auto& p = named.second;
    params += p->numel();
    const double err = relative_error(*p, find(expected, "loaded." + name));
    CHECK_MESSAGE(err <= 1e-6, "imported ", name, ": relative error ", err);
  }
  if (reference.counts_parameters) CHECK(params == static_cast<int64_t>(find(expected, "params").to_vector()[0]));
  model.to(device);
  const Tensor x = find(inputs, "x").to(device), y = find(inputs, "y").to(device);
  {
    model.eval();
    NoGradGuard no_grad;
    const double err = relative_error(model.run(x).embedding, find(expected, "eval.embedding"));
    MESSAGE(case_name, ": eval embedding relative error ", err);
    CHECK(err <= 1e-4);
  }
  model.train();
  const auto out = model.run(x);
  add(mse_loss(out.prediction, y), contrastive_loss(out.embedding, y, ContrastiveKind::WCL, Similarity::Cos, 0.05f))
      .backward();
  double largest_yardstick = 0;
  for (auto& [name, p] : model.named_parameters())
    largest_yardstick = std::max<double>(largest_yardstick, find(expected, "yardstick." + name).to_vector()[0]);
  const double tolerance = kParityYardstickFactor * largest_yardstick;
  double worst = 0, worst_reference = 0;
  std::string worst_name;
  for (auto& named : model.named_parameters()) {
    const std::string& name = named.first;  // not a structured binding: clang 14 cannot capture one
    auto& p = named.second;
    REQUIRE_MESSAGE(p->grad().defined(), name, " got no gradient");
    const double err = relative_error(p->grad(), find(expected, "grad64." + name));
    const double own_error = find(expected, "yardstick." + name).to_vector()[0];
    CHECK_MESSAGE(err <= tolerance, "grad ", name, ": relative error to float64 ", err, ", tolerance ", tolerance,
                  " (reference float32 to float64: ", own_error, ")");
    if (err > worst) {
      worst = err;
      worst_name = name;
      worst_reference = own_error;
    }
  }
  MESSAGE(case_name, ": largest gradient error to float64 ", worst, " (", worst_name, "; reference float32 there ",
          worst_reference, ", largest reference float32 error ", largest_yardstick, ")");
}


}  // namespace learner::test
