// `learner cv`: patient-level k-fold cross-validation, every fold pretrain + classify.
#include <map>
#include <memory>

#include "tools/commands.h"
#include "train/cv.h"

namespace learner::tools {

namespace {
struct CvCommandOptions {
  train::CvOptions cv;
  std::string loss = "wcl", sim = "cos", backbone = "tsm";
  int pretrain_epochs = 100;
};
}  // namespace

void add_cv_command(CLI::App& app) {
  auto o = std::make_shared<CvCommandOptions>();
  train::CvOptions& cv = o->cv;
  CLI::App* cmd = app.add_subcommand(
      "cv", "Patient-level k-fold cross-validation: every patient tested once; per-fold and pooled results with "
            "intervals; run again to resume a stopped study");
  cmd->add_option("--data", cv.data, "clip store made by `learner pack` (.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", cv.out, "study folder: OUT/fold-K/{data.h5,run}, OUT/eval.json, OUT/cv.json")->required();
  cmd->add_option("--folds", cv.folds, "number of folds K (>= 3)")->capture_default_str()->check(CLI::Range(3, 1000));
  cmd->add_option("--fold-seed", cv.seed, "seed of the assignment of patients to folds")->capture_default_str();
  cmd->add_option("--loss", o->loss, "mse, cl or wcl")->capture_default_str()->check(CLI::IsMember(train::loss_words()));
  cmd->add_option("--sim", o->sim, "cos or l2")->capture_default_str()->check(CLI::IsMember(train::similarity_words()));
  cmd->add_option("--backbone", o->backbone, "tsm, resnet2d, vit-tiny, vit-small, vit-base, videomae-tiny, videomae-small, "
                  "videomae-base, timesformer-tiny, timesformer-base or swin-tiny")
      ->capture_default_str()
      ->check(CLI::IsMember(train::backbone_words()));
  cmd->add_option("--frames", cv.pretrain.frames, "frames per clip, T")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", cv.pretrain.batch, "clips per batch, B")->capture_default_str()->check(CLI::Range(2, 1 << 20));
  cmd->add_option("--epochs", cv.pretrain.epochs, "pretrain epochs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--steps", cv.pretrain.max_steps, "stop each pretrain after this many steps (0: all epochs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--lr", cv.pretrain.lr, "pretrain learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", cv.pretrain.seed, "seed of every fold's pretrain and classify")->capture_default_str();
  cmd->add_option("--classify-epochs", cv.classify.epochs, "classifier epochs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--class-weights", cv.classify.class_weights, "none or balanced (see `classify --help`)")
      ->capture_default_str();
  cmd->add_option("--device", cv.pretrain.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--workers", cv.pretrain.workers, "loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([o] {
    train::CvOptions c = o->cv;
    c.pretrain.loss = train::loss_words().at(o->loss);
    c.pretrain.similarity = train::similarity_words().at(o->sim);
    c.pretrain.backbone = train::backbone_words().at(o->backbone);
    c.classify.seed = c.pretrain.seed;
    c.classify.device = c.pretrain.device;
    c.classify.workers = c.pretrain.workers;
    const int code = train::run_cv(c);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace learner::tools
