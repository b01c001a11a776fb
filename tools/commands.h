// Registration of the subcommands of the `learner` tool; each runs from its callback.
#pragma once

#include <CLI/CLI.hpp>

namespace learner::tools {

void add_info_command(CLI::App& app);     // build configuration and visible devices
void add_smoke_command(CLI::App& app);    // framework smoke test: ResNet-18 from scratch on a toy task
void add_pretrain_command(CLI::App& app); // stage 1: pre-train the encoder (paper Algorithm 1)
void add_classify_command(CLI::App& app); // stage 2: pair classifier on frozen embeddings
void add_eval_command(CLI::App& app);     // classification metrics of a split
void add_predict_command(CLI::App& app);  // a trained run applied to new imaging files
void add_embed_command(CLI::App& app);    // embeddings of every scan -> HDF5
void add_pack_command(CLI::App& app);     // manifest CSV + imaging files -> HDF5 clip store
void add_inspect_command(CLI::App& app);  // summary and integrity check of a clip store
void add_synth_command(CLI::App& app);    // synthetic lung-ultrasound cohort
void add_report_command(CLI::App& app);   // Markdown + HTML report with SVG figures from run folders
void add_compare_command(CLI::App& app);  // paired patient bootstrap: group A of runs against group B
void add_cv_command(CLI::App& app);       // patient-level k-fold cross-validation (pretrain + classify per fold)
void add_bench_command(CLI::App& app);    // `bench step`: training / embedding step time against PyTorch

}  // namespace learner::tools
