// `learner classify`, `learner eval` and `learner embed`: what users run after pre-training.
#include "tools/commands.h"
#include "tools/json_config.h"
#include "train/embed_file.h"
#include "train/pretrain.h"
#include "train/stage2.h"

namespace learner::tools {

void add_classify_command(CLI::App& app) {
  auto o = std::make_shared<train::ClassifyOptions>();
  CLI::App* cmd = app.add_subcommand("classify", "Stage 2: train the pair classifier on frozen embeddings of a run");
  add_json_config(*cmd);
  cmd->add_option("--run", o->run, "the run folder of `learner pretrain`")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--checkpoint", o->checkpoint, "encoder checkpoint (default RUN/checkpoints/best.safetensors)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", o->data, "clip store (default: the run's --data)")->check(CLI::ExistingFile);
  cmd->add_option("--epochs", o->epochs, "epochs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "pairs per step")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "seed for the classifier's initialisation and pair order")->capture_default_str();
  // Checked by run_classify (parse_class_weights), which names the bad word.
  cmd->add_option("--class-weights", o->class_weights,
                  "none, or balanced: cross-entropy weights N / (K n_c) from the training pairs' class counts")
      ->capture_default_str();
  cmd->add_option("--pair-sampling", o->pair_sampling,
                  "uniform (each training pair once per epoch), or balanced: each draw picks a class uniformly, then a pair")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([o] { train::run_classify(*o); });
}

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<train::EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Accuracy, macro F1, per-class precision/recall and confusion matrix");
  add_json_config(*cmd);
  cmd->add_option("--run", o->run, "the run folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--checkpoint", o->checkpoint, "classifier checkpoint (default RUN/checkpoints/classifier.safetensors)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", o->data, "clip store (default: the run's --data)")->check(CLI::ExistingFile);
  cmd->add_option("--split", o->split, "train, val, test or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "val", "test", "all"}));
  cmd->add_option("--json", o->json_out, "where to write the JSON report (default RUN/eval_<split>.json)");
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([o] { train::run_eval(*o); });
}

void add_embed_command(CLI::App& app) {
  auto o = std::make_shared<train::EmbedOptions>();
  CLI::App* cmd = app.add_subcommand("embed", "Write embeddings and predictions of every scan to an HDF5 file");
  add_json_config(*cmd);
  cmd->add_option("--checkpoint", o->checkpoint, "pretrain checkpoint")->required()->check(CLI::ExistingFile);
  cmd->add_option("--data", o->data, "clip store")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "HDF5 file to write")->required();
  cmd->add_option("--split", o->split, "train, val, test or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "val", "test", "all"}));
  cmd->add_option("--backbone", o->backbone, "the checkpoint's backbone")
      ->capture_default_str()
      ->check(CLI::IsMember(train::backbone_words()));
  cmd->add_option("--frames", o->frames, "frames per clip the checkpoint was trained with")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([o] { train::run_embed(*o); });
}

}  // namespace learner::tools
