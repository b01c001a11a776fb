// `learner predict`: a trained run applied to new imaging files (train/predict.h).
#include <cstdio>
#include <memory>

#include "tools/commands.h"
#include "tools/decode_flags.h"
#include "tools/json_config.h"
#include "train/metrics.h"
#include "train/predict.h"

namespace learner::tools {

void add_predict_command(CLI::App& app) {
  struct Args {
    train::PredictOptions options;
    DecodeFlags decode;
  };
  auto a = std::make_shared<Args>();
  train::PredictOptions& o = a->options;
  CLI::App* cmd = app.add_subcommand(
      "predict", "Apply a trained run to new scans: predicted change per pair of consecutive scans, health score per scan");
  add_json_config(*cmd);
  cmd->add_option("--run", o.run, "a run folder after `learner classify`")->required()->check(CLI::ExistingDirectory);
  auto* manifest = cmd->add_option("--manifest", o.manifest,
                                   "CSV of new scans: patient_id,scan_id,order,path[,score,date,modality,fps,pixel_spacing]");
  auto* scans = cmd->add_option("--scans", o.scans, "two imaging files of one patient, the earlier first")->expected(2);
  manifest->excludes(scans);
  cmd->add_option("--out", o.out, "folder for predictions.csv and predictions.json (required with --manifest)");
  cmd->add_option("--data", o.data, "the clip store the run was trained on (default: the run's)")->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", o.checkpoint, "pair classifier (default RUN/checkpoints/classifier.safetensors)");
  cmd->add_option("--pretrain-checkpoint", o.pretrain_checkpoint,
                  "encoder + regression head (default RUN/checkpoints/best.safetensors)");
  add_decode_flags(cmd, a->decode);
  cmd->add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--workers", o.workers, "decode and loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->callback([a] {
    apply_decode_flags(a->decode, a->options.decode);
    const train::Predictions p = train::run_predict(a->options);
    std::printf("%s", train::predictions_csv(p).c_str());
    std::printf("predict: %zu scans, %zu pairs", p.scans.size(), p.pairs.size());
    if (!a->options.out.empty())
      std::printf("; written: %s/predictions.csv, %s/predictions.json", a->options.out.c_str(), a->options.out.c_str());
    std::printf("\n");
  });
}

}  // namespace learner::tools
