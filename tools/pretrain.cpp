// `learner pretrain`: stage 1 (paper Algorithm 1) from the command line.
#include <map>

#include "base/error.h"
#include "tools/bool_flag.h"
#include "tools/commands.h"
#include "tools/json_config.h"
#include "train/pretrain.h"

namespace learner::tools {

namespace {

// An option taking one of a few words, stored as an enum; a bad word gets CLI11's
// "not in {...}" message listing the words.
template <typename E>
CLI::Option* add_choice(CLI::App* cmd, const std::string& flag, E& target, const std::map<std::string, E>& choices,
                        const std::string& help) {
  std::vector<std::string> words;
  std::string current;
  for (const auto& [word, value] : choices) {
    words.push_back(word);
    if (value == target) current = word;
  }
  return cmd->add_option_function<std::string>(flag, [&target, choices](const std::string& word) { target = choices.at(word); },
                                               help)
      ->check(CLI::IsMember(words))
      ->default_str(current);
}

}  // namespace

void add_pretrain_command(CLI::App& app) {
  auto o = std::make_shared<train::PretrainOptions>();
  CLI::App* cmd = app.add_subcommand("pretrain", "Stage 1: pre-train the video encoder on health scores (MSE + CL/wCL)");
  add_json_config(*cmd);
  cmd->add_option("--data", o->data, "clip store made by `learner pack` (.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "run folder (created; must not hold a run unless --resume)")->required();
  add_bool_flag(cmd, "--resume", o->resume, "continue the run in --out from checkpoints/last.safetensors");
  add_choice(cmd, "--loss", o->loss, train::loss_words(),
             "mse, cl (MSE + lambda CL) or wcl (MSE + lambda wCL)");
  add_choice(cmd, "--sim", o->similarity, train::similarity_words(), "similarity in the contrastive loss");
  cmd->add_option("--lambda", o->lambda, "weight of the contrastive term")->capture_default_str();
  cmd->add_option("--eps-w", o->eps_w, "eps_w of the weighted loss")->capture_default_str();
  add_choice(cmd, "--backbone", o->backbone, train::backbone_words(),
             "tsm (TSM-ResNet18), resnet2d (paper Table 4 baseline), vit-tiny, vit-small, vit-base "
             "(timm's ViT per frame), videomae-tiny, videomae-small, videomae-base (VideoMAE, one clip, "
             "even --frames), timesformer-tiny or timesformer-base (TimeSformer, divided space-time "
             "attention over the clip), swin-tiny (timm's Swin-T per frame; docs/transformers.md)");
  cmd->add_option("--frames", o->frames, "frames per clip, T")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "clips per batch, B")->capture_default_str()->check(CLI::Range(2, 1 << 20));
  cmd->add_option("--epochs", o->epochs, "epochs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--steps", o->max_steps, "stop after this many optimizer steps (0: run all epochs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--save-every", o->save_every, "also save checkpoints/last every N steps (0: at epoch ends)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--lr", o->lr, "initial learning rate (cosine annealed to 0 per step)")->capture_default_str();
  cmd->add_option("--warmup-steps", o->warmup_steps, "linear warm-up steps")->capture_default_str()->check(CLI::NonNegativeNumber);
  add_choice(cmd, "--optimizer", o->optimizer, train::optimizer_words(),
             "adam (the paper's), adamw (decoupled weight decay, no decay on norms, biases, embeddings, cls token) or sgd");
  cmd->add_option("--momentum", o->momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o->weight_decay, "weight decay: L2 for adam and sgd, decoupled for adamw")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed for initialisation and data order")->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--init", o->init, "encoder weights (.safetensors): a learner checkpoint, a torchvision ResNet-18 or a timm ViT state_dict")
      ->check(CLI::ExistingFile);
  add_bool_flag(cmd, "--shuffle", o->shuffle, "reshuffle the training split every epoch");
  add_bool_flag(cmd, "--augment", o->augment, "training augmentation");
  add_choice(cmd, "--sampling", o->sampling, train::sampling_words(),
             "training frame sampling: random (TSN) or center (evaluation sampling)");
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  add_bool_flag(cmd, "--validate", o->validate, "validate every epoch");
  cmd->add_option("--bucket-mb", o->bucket_mb, "data parallel: gradient all-reduce bucket size in MB")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_bool_flag(cmd, "--sync-bn", o->sync_bn, "data parallel: BatchNorm statistics over all ranks");
  cmd->callback([o] {
    const int code = train::run_pretrain(*o);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace learner::tools
