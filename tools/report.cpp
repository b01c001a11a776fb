// `learner report`: Markdown + HTML report with SVG figures from one or more run folders
// (docs/report.md): training curves, the paper's Fig. 1 analysis, confusion matrices, a summary table.
#include <cstdio>
#include <memory>

#include "tools/commands.h"
#include "train/report.h"

namespace learner::tools {

namespace {
struct ReportCommandOptions {
  std::vector<std::string> runs;
  std::string out;
  std::vector<std::string> group_by = train::ReportOptions().group_by;
  std::string compare;
  train::BootstrapOptions bootstrap;
};
}  // namespace

void add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write DIR/report.html and DIR/report.md with SVG figures from one or more run folders");
  cmd->add_option("runs", o->runs, "run folders (each with config.json and metrics.jsonl)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", o->out, "output folder (created if needed)")->required();
  cmd->add_option("--group-by", o->group_by,
                  "config keys that name a configuration: summary columns, and runs equal on all of them "
                  "are averaged (mean ± std)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--compare", o->compare,
                  "a config key (or class_weights): group the runs by its value and compare each group with the "
                  "first (paired bootstrap over test patients, seeds pooled, with a verdict)");
  cmd->add_option("--resamples", o->bootstrap.resamples, "bootstrap resamples of the test patients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bootstrap-seed", o->bootstrap.seed, "seed of the resampling")->capture_default_str();
  cmd->callback([o] {
    train::ReportOptions options;
    options.out_dir = o->out;
    options.group_by = o->group_by;
    options.compare = o->compare;
    options.bootstrap = o->bootstrap;
    const std::vector<std::string> written = train::write_report(o->runs, options);
    std::printf("report: %zu run%s -> %s (and report.md, %zu SVG figures)\n", o->runs.size(),
                o->runs.size() == 1 ? "" : "s", written.back().c_str(), written.size() - 2);
    for (const std::string& line : train::report_headlines(o->runs, options)) std::printf("%s\n", line.c_str());
  });
}

}  // namespace learner::tools
