// Parity with PyTorch (an implementation nobody here wrote): tests/parity/make_reference.py
// builds TSM-ResNet18 + head with torchvision and the SPEC losses, and records outputs,
// gradients and one Adam step; this test loads the same weights and compares.
// Relative error of a tensor: max|ours - theirs| / max|theirs| (a per-tensor norm, so
// elements that are nearly zero are judged against the tensor's scale).
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "framework/nn/state_dict.h"
#include "framework/ops.h"
#include "framework/ops/contrastive.h"
#include "framework/optim/optimizer.h"
#include "models/heads.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

constexpr int kFrames = 4;

std::string reference_dir() {
  const std::string dir = std::string(LEARNER_BUILD_DIR) + "/parity_reference";
  const std::string script = std::string(LEARNER_SOURCE_DIR) + "/tests/parity/make_reference.py";
  struct stat out_stat {}, script_stat {};
  const bool fresh = ::stat((dir + "/expected.safetensors").c_str(), &out_stat) == 0 &&
                     ::stat(script.c_str(), &script_stat) == 0 && out_stat.st_mtime >= script_stat.st_mtime;
  if (!fresh) {
    const std::string cmd = "/usr/bin/python3 " + script + " --out " + dir;
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "failed: ", cmd,
                    " (needs python3-torch and python3-torchvision: run `make deps`)");
  }
  return dir;
}

double relative_error(const Tensor& ours, const Tensor& theirs) {
  const std::vector<float> a = ours.to_vector(), b = theirs.to_vector();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

void expect_relative(const Tensor& ours, const Tensor* theirs, double tolerance, const std::string& what) {
  REQUIRE_MESSAGE(theirs != nullptr, "reference lacks ", what);
  REQUIRE_MESSAGE(ours.shape() == theirs->shape(), what, ": ", ours.describe(), " vs ", theirs->describe());
  const double err = relative_error(ours, *theirs);
  CHECK_MESSAGE(err <= tolerance, what, ": relative error ", err, " > ", tolerance);
}

// A parameter gradient against PyTorch's float64 gradient. The tolerance is the 1e-3 of
// float32 work, or twice what PyTorch's own float32 computations are seen to need where a
// ReLU kink lies within float32 rounding (tests/parity/make_reference.py): judged against
// PyTorch's float32 gradient instead, this test passed or failed by which side of a kink each
// machine's rounding fell (on this test's seed, PyTorch's default float32 gradient is 8.7 %
// from float64 in one tensor, its channels_last float32 gradient 1.1e-5).
// Returns ours' relative error to float64.
double expect_gradient(const Tensor& ours, const SafetensorsFile& expected, const std::string& cfg,
                       const std::string& name) {
  const std::string what = "grad " + cfg + " " + name;
  const Tensor* exact = expected.find("grad64." + cfg + "." + name);
  const Tensor* yardstick = expected.find("yardstick." + cfg + "." + name);
  const Tensor* theirs = expected.find("grad." + cfg + "." + name);
  REQUIRE_MESSAGE((exact != nullptr && yardstick != nullptr && theirs != nullptr), "reference lacks ", what);
  REQUIRE_MESSAGE(ours.shape() == exact->shape(), what, ": ", ours.describe(), " vs ", exact->describe());
  const double spread = yardstick->to_vector()[0];
  const double tolerance = std::max(1e-3, 2 * spread);
  const double err = relative_error(ours, *exact);
  CHECK_MESSAGE(err <= tolerance, what, ": relative error to float64 ", err, " > ", tolerance,
                " (PyTorch float32 to float64: up to ", spread, "; ours to PyTorch float32: ",
                relative_error(ours, *theirs), ")");
  return err;
}

// One Adam step (lr 1e-3) against PyTorch's. Adam's first step moves each weight by about
// lr * sign(g), so a gradient that is ~0 in both implementations can flip sign between them
// and move that weight by 2 * lr: end to end, weights agree only where gradients are not
// tiny. So: (1) our Adam on PyTorch's own gradients must give PyTorch's weights (1e-6
// relative), and (2) end to end from our gradients, at most 0.1% of weights may differ.
void check_adam_step(models::PretrainModel& m, const SafetensorsFile& expected) {
  std::vector<Tensor> before;
  for (Tensor* p : m.parameters()) before.push_back(p->clone());
  optim::Adam ours(m.parameters());
  ours.step();
  int64_t total = 0, off = 0;
  for (auto& [name, p] : m.named_parameters()) {
    const std::vector<float> a = p->to_vector(), b = expected.find("adam." + name)->to_vector();
    for (size_t i = 0; i < a.size(); ++i) off += std::fabs(a[i] - b[i]) > 1e-6 + 1e-5 * std::fabs(b[i]);
    total += static_cast<int64_t>(a.size());
  }
  MESSAGE(off, " of ", total, " weights differ from PyTorch's after one Adam step end to end");
  CHECK(off <= total / 1000);

  size_t k = 0;
  for (auto& [name, p] : m.named_parameters()) {
    copy_bytes(p->raw_data(), p->device(), before[k].raw_data(), before[k].device(), p->nbytes());
    ++k;
    const Tensor* g = expected.find("grad.wcl_cos." + name);
    REQUIRE(g != nullptr);
    p->set_grad(g->to(p->device()));
  }
  optim::Adam on_their_gradients(m.parameters());
  on_their_gradients.step();
  for (auto& [name, p] : m.named_parameters())
    expect_relative(*p, expected.find("adam." + name), 1e-6, "Adam on PyTorch's gradients: " + name);
}

struct Fixture {
  SafetensorsFile weights, inputs, expected;
  models::EncoderOptions options;
  Fixture() {
    const std::string dir = reference_dir();
    weights = read_safetensors(dir + "/weights.safetensors");
    inputs = read_safetensors(dir + "/inputs.safetensors");
    expected = read_safetensors(dir + "/expected.safetensors");
    options.backbone = models::Backbone::TSM;
    options.frames = kFrames;
    options.in_channels = 1;
  }
  std::unique_ptr<models::PretrainModel> model(Device device) const {
    auto m = std::make_unique<models::PretrainModel>(options);
    nn::load_state_dict(*m, weights, "", "weights.safetensors");
    m->to(device);
    return m;
  }
};

void run_parity(Device device) {
  static const Fixture f;
  const Tensor x = f.inputs.find("x")->to(device), y = f.inputs.find("y")->to(device);

  {  // eval mode: running statistics, no graph
    auto m = f.model(device);
    m->eval();
    NoGradGuard no_grad;
    const auto out = m->run(x);
    expect_relative(out.embedding, f.expected.find("eval.embedding"), 1e-4, "eval embedding");
    expect_relative(out.prediction, f.expected.find("eval.prediction"), 1e-4, "eval prediction");
  }

  for (ContrastiveKind kind : {ContrastiveKind::CL, ContrastiveKind::WCL}) {
    for (Similarity sim : {Similarity::Cos, Similarity::L2}) {
      const std::string cfg = std::string(kind == ContrastiveKind::CL ? "cl" : "wcl") + "_" +
                              (sim == Similarity::Cos ? "cos" : "l2");
      auto m = f.model(device);
      m->train();
      const auto out = m->run(x);
      const Tensor mse = mse_loss(out.prediction, y);
      const Tensor cl = contrastive_loss(out.embedding, y, kind, sim, 0.05f);
      const Tensor loss = add(mse, cl);
      loss.backward();
      expect_relative(mse, f.expected.find(cfg + ".mse"), 1e-4, cfg + " mse");
      expect_relative(cl, f.expected.find(cfg + ".cl"), 1e-4, cfg + " contrastive term");
      expect_relative(loss, f.expected.find(cfg + ".loss"), 1e-4, cfg + " loss");
      double worst = 0;
      std::string worst_name;
      for (auto& [name, p] : m->named_parameters()) {
        const double err = expect_gradient(p->grad(), f.expected, cfg, name);
        if (err > worst) std::tie(worst, worst_name) = std::make_pair(err, name);
      }
      MESSAGE(cfg, ": largest gradient error to float64 ", worst, " (", worst_name, ")");
      if (cfg == "wcl_cos") check_adam_step(*m, f.expected);
    }
  }
}

}  // namespace

TEST_CASE("TSM-ResNet18 + head match PyTorch on the CPU") { run_parity(Device::cpu()); }

TEST_CASE("TSM-ResNet18 + head match PyTorch on CUDA [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  run_parity(Device::cuda(0));
}

TEST_CASE("a checkpoint we write loads into PyTorch with load_state_dict(strict=True)") {
  const std::string path = std::string(LEARNER_BUILD_DIR) + "/parity_export.safetensors";
  Generator gen(99);
  models::EncoderOptions options;
  options.frames = kFrames;
  models::PretrainModel model(options, gen);
  write_safetensors(path, nn::state_dict(model), {{"format", "pt"}});
  const std::string cmd = "cd " + std::string(LEARNER_SOURCE_DIR) +
                          "/tests/parity && /usr/bin/python3 load_in_pytorch.py " + path;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char line[128] = {0};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  REQUIRE_MESSAGE(::pclose(pipe) == 0, "PyTorch refused the checkpoint: ", cmd);
  REQUIRE(got);
  double ours = 0;
  for (float w : model.encoder->layer2->named_parameters()[0].second->to_vector()) ours += w;
  CHECK(std::stod(line) == doctest::Approx(ours).epsilon(1e-6));
  std::remove(path.c_str());
}
