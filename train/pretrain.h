// Stage 1 (paper Algorithm 1, SPEC sections 6-7): pre-train the video encoder and the
// regression head with MSE (+ lambda * CL or wCL) over the training split, validating
// every epoch, keeping the last and best checkpoints, resumable to the same bits.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "data/sampling.h"
#include "framework/ops/contrastive.h"
#include "models/video_encoder.h"

namespace learner::train {

enum class LossKind { MSE, MSE_CL, MSE_WCL };  // --loss mse | cl | wcl
enum class OptimizerKind { Adam, AdamW, SGD };  // --optimizer adam | adamw | sgd

struct PretrainOptions {
  std::string data;          // clip store (.h5)
  std::string out;           // run folder
  bool resume = false;
  LossKind loss = LossKind::MSE_WCL;
  Similarity similarity = Similarity::Cos;
  float lambda = 1.f;
  float eps_w = 0.05f;
  models::Backbone backbone = models::Backbone::TSM;
  int frames = 8;
  int batch = 8;
  int epochs = 100;
  int64_t max_steps = 0;     // > 0: stop after this many optimizer steps (and save)
  int64_t save_every = 0;    // > 0: also save checkpoints/last every this many steps
  float lr = 1e-3f;
  int warmup_steps = 0;
  OptimizerKind optimizer = OptimizerKind::Adam;
  float momentum = 0.f;
  float weight_decay = 0.f;
  uint64_t seed = 0;
  std::string device = "auto";
  std::string init;          // torchvision or learner checkpoint for the encoder
  bool shuffle = true;
  bool augment = true;
  data::Sampling sampling = data::Sampling::Train;  // Eval: centre frames (verification)
  int workers = 2;
  bool validate = true;
  // Data parallelism (launched under mpirun or torchrun-style variables; docs/multi-gpu.md):
  // --batch is per rank, the contrastive loss mines over the global batch.
  double bucket_mb = 25;   // gradient all-reduce bucket size
  bool sync_bn = false;    // BatchNorm statistics over the global batch
};

// The words of the choice flags (--loss, --sim, --backbone, --optimizer, --sampling): the
// command line parses them and config.json writes them, from these tables only.
const std::map<std::string, LossKind>& loss_words();
const std::map<std::string, Similarity>& similarity_words();
const std::map<std::string, models::Backbone>& backbone_words();
const std::map<std::string, OptimizerKind>& optimizer_words();
const std::map<std::string, data::Sampling>& sampling_words();

// The options as the run folder's config.json: keys are the flag names, values as one would
// type them ("loss": "wcl"), so `--config RUN/config.json` repeats the run.
std::string to_config_json(const PretrainOptions& options);

// Runs the whole stage; returns the process exit code (0, or 128+signal after a clean stop).
int run_pretrain(const PretrainOptions& options);

}  // namespace learner::train
