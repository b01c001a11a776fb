// The `learner` command: git-style subcommands, each in its own tools/*.cpp file.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tools/commands.h"
#include "tools/json_config.h"

namespace {
// libgomp's idle threads spin between parallel regions by default; on a machine whose cores
// are shared (CI, a desktop, two jobs at once) a spinning thread holds the core its partner
// needs and a step runs up to 4x slower (docs/performance.md). libgomp reads
// OMP_WAIT_POLICY once, when it loads, before main: so unless the user chose a policy, we
// set "passive" and start again once. The cost on an idle machine is about 10%.
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}
}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp(argv);
  CLI::App app{"learner: train video networks to see small changes in one patient", "learner"};
  app.require_subcommand(1);
  // In the order of the workflow: data, training, results, then the utilities.
  learner::tools::add_synth_command(app);
  learner::tools::add_pack_command(app);
  learner::tools::add_inspect_command(app);
  learner::tools::add_pretrain_command(app);
  learner::tools::add_classify_command(app);
  learner::tools::add_cv_command(app);
  learner::tools::add_eval_command(app);
  learner::tools::add_predict_command(app);
  learner::tools::add_embed_command(app);
  learner::tools::add_report_command(app);
  learner::tools::add_compare_command(app);
  learner::tools::add_info_command(app);
  learner::tools::add_smoke_command(app);
  learner::tools::add_bench_command(app);
  try {
    std::vector<std::string> args = learner::tools::expand_json_config(app, argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "learner: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
