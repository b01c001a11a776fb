// `learner bench step`: the time of one training step (forward, MSE + wCL, backward, Adam) and
// of one forward-only embedding step of a backbone, side by side with PyTorch running the same
// model and loss (bench/step_pytorch.py under Debian's /usr/bin/python3) in the same run.
// This is the number issue 14 is about; docs/performance.md has the table it produced.
#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "kernels/conv2d.h"
#include "models/heads.h"
#include "parallel/communicator.h"
#include "train/pretrain.h"
#include "train/pretrain_step.h"
#include "tools/commands.h"

#ifndef LEARNER_SOURCE_DIR
#define LEARNER_SOURCE_DIR "."
#endif

namespace learner::tools {

namespace {

struct StepOptions {
  std::string backbone = "tsm";
  int batch = 8, frames = 8, size = 112, channels = 1, threads = 2;
  int steps = 6, warmup = 2;
  std::string mode = "both";  // train, embed or both
  std::string python = "/usr/bin/python3";
  std::string script = std::string(LEARNER_SOURCE_DIR) + "/bench/step_pytorch.py";
  bool pytorch = true;
};

// Median wall time of `step` over `repeats` runs after `warmup` untimed ones.
double median_step_seconds(const std::function<void()>& step, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Every backbone `pretrain --backbone` takes (train/pretrain.h).
models::Backbone backbone_of(const std::string& word) {
  const auto& words = train::backbone_words();
  const auto it = words.find(word);
  if (it != words.end()) return it->second;
  std::string names;
  for (const auto& [name, value] : words) names += (names.empty() ? "" : ", ") + name;
  throw Error(str("bench step: --backbone must be one of ", names, "; got '", word, "'"));
}

// The same inputs as bench/step_pytorch.py builds: frames uniform in [-1, 1), targets spread
// over [0, 1] without ties (the mining order then does not depend on tie-breaking).
void make_inputs(const StepOptions& o, Tensor& x, Tensor& y) {
  Generator gen(7);
  std::vector<float> pixels(static_cast<size_t>(o.batch) * o.frames * o.channels * o.size * o.size);
  for (float& v : pixels) v = gen.uniform(-1.f, 1.f);
  x = Tensor::from_vector(pixels, {int64_t{o.batch} * o.frames, o.channels, o.size, o.size});
  std::vector<float> targets(o.batch);
  for (int b = 0; b < o.batch; ++b) targets[b] = (static_cast<float>(b) + 0.5f) / static_cast<float>(o.batch);
  y = Tensor::from_vector(targets, {o.batch});
}

// The trainer's own step (train/pretrain_step.h, a world of one), so the number is what
// `learner pretrain` pays per step apart from loading.
double learner_train_seconds(const StepOptions& o, models::PretrainModel& model, const Tensor& x,
                             const Tensor& y) {
  model.train();
  optim::Adam adam(model.parameters());
  std::unique_ptr<dist::Communicator> comm = dist::make_communicator(Device::cpu());
  dist::GradientSync gradient_sync(*comm, model.parameters());
  train::PretrainStepParts parts{model, adam, *comm, gradient_sync, train::LossKind::MSE_WCL};
  return median_step_seconds([&] {
    const train::StepResult result = train::train_step(parts, x, y);
    LEARNER_CHECK(result.updated(), "bench step: the loss or a gradient is not finite (loss ", result.loss, ")");
  }, o.warmup, o.steps);
}

double learner_embed_seconds(const StepOptions& o, models::PretrainModel& model, const Tensor& x) {
  model.eval();
  NoGradGuard no_grad;
  return median_step_seconds([&] { (void)model.encoder->forward(x).to_vector(); }, o.warmup, o.steps);
}

// Runs the PyTorch side; returns a negative time (and says why) when it cannot.
double pytorch_seconds(const StepOptions& o, const std::string& mode) {
  if (::access(o.python.c_str(), X_OK) != 0) {
    std::printf("  pytorch: skipped, no interpreter at %s (--python names another)\n", o.python.c_str());
    return -1;
  }
  const std::string command =
      str("OMP_NUM_THREADS=", o.threads, " '", o.python, "' '", o.script, "' --backbone ", o.backbone,
          " --batch ", o.batch, " --frames ", o.frames, " --size ", o.size, " --channels ", o.channels,
          " --threads ", o.threads, " --steps ", o.steps, " --warmup ", o.warmup, " --mode ", mode);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::printf("  pytorch: skipped, could not start: %s\n", command.c_str());
    return -1;
  }
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  double seconds = -1;
  const size_t at = output.find("seconds ");
  if (status == 0 && at != std::string::npos) seconds = std::atof(output.c_str() + at + 8);
  if (seconds <= 0) {
    std::printf("  pytorch: skipped (%s exited with status %d): %s", o.script.c_str(), status,
                output.empty() ? "no output\n" : output.c_str());
    return -1;
  }
  return seconds;
}

void report(const char* what, double ours, double theirs) {
  if (theirs > 0)
    std::printf("%-6s learner %8.4f s   pytorch %8.4f s   ratio learner/pytorch %.2f\n", what, ours,
                theirs, ours / theirs);
  else
    std::printf("%-6s learner %8.4f s\n", what, ours);
  std::fflush(stdout);
}

void run_step_bench(const StepOptions& o) {
  LEARNER_CHECK(o.mode == "train" || o.mode == "embed" || o.mode == "both",
                "bench step: --mode must be train, embed or both, got '", o.mode, "'");
  models::EncoderOptions eo;
  eo.backbone = backbone_of(o.backbone);
  eo.frames = o.frames;
  eo.in_channels = o.channels;
  eo.image_height = eo.image_width = o.size;  // the transformers' position grids
  omp_set_num_threads(o.threads);
  openblas_set_num_threads(o.threads);
  manual_seed(1);
  models::PretrainModel model(eo);
  Tensor x, y;
  make_inputs(o, x, y);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("bench step: %s, B %d x T %d frames, %d channel(s), %d px, %d threads, median of %d steps "
              "after %d; OMP_WAIT_POLICY=%s; CPU conv: %s\n",
              o.backbone.c_str(), o.batch, o.frames, o.channels, o.size, o.threads, o.steps, o.warmup,
              policy ? policy : "(unset)", conv2d_cpu_backend_name());
  std::fflush(stdout);
  if (o.mode != "embed") {
    const double ours = learner_train_seconds(o, model, x, y);
    report("train", ours, o.pytorch ? pytorch_seconds(o, "train") : -1);
  }
  if (o.mode != "train") {
    const double ours = learner_embed_seconds(o, model, x);
    report("embed", ours, o.pytorch ? pytorch_seconds(o, "embed") : -1);
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "time learner against PyTorch on this machine");
  bench->require_subcommand(1);
  auto o = std::make_shared<StepOptions>();
  CLI::App* step = bench->add_subcommand(
      "step", "training step (MSE + wCL, Adam) and forward-only embedding step, learner and PyTorch");
  step->add_option("--backbone", o->backbone, "any backbone pretrain takes (tsm, resnet2d, vit-tiny, ...)")->capture_default_str();
  step->add_option("--batch", o->batch, "clips per batch (B)")->capture_default_str()->check(CLI::PositiveNumber);
  step->add_option("--frames", o->frames, "frames per clip (T)")->capture_default_str()->check(CLI::PositiveNumber);
  step->add_option("--size", o->size, "frame height and width in pixels")->capture_default_str()->check(CLI::Range(32, 4096));
  step->add_option("--channels", o->channels, "channels per frame")->capture_default_str()->check(CLI::PositiveNumber);
  step->add_option("--threads", o->threads, "OpenMP / BLAS threads, both sides")->capture_default_str()->check(CLI::PositiveNumber);
  step->add_option("--steps", o->steps, "timed steps (the median is reported)")->capture_default_str()->check(CLI::PositiveNumber);
  step->add_option("--warmup", o->warmup, "untimed steps first")->capture_default_str()->check(CLI::NonNegativeNumber);
  step->add_option("--mode", o->mode, "train, embed or both")->capture_default_str();
  step->add_option("--python", o->python, "interpreter with torch and torchvision")->capture_default_str();
  step->add_option("--script", o->script, "the PyTorch side")->capture_default_str();
  step->add_flag("!--no-pytorch", o->pytorch, "time learner only");
  step->callback([o] { run_step_bench(*o); });
}

}  // namespace learner::tools
