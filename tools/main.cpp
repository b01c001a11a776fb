// The `learner` command: git-style subcommands, each in its own tools/*.cpp file.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "tools/commands.h"
#include "tools/json_config.h"

int main(int argc, char** argv) {
  CLI::App app{"learner: train video networks to see small changes in one patient", "learner"};
  app.require_subcommand(1);
  learner::tools::add_info_command(app);
  learner::tools::add_report_command(app);
  learner::tools::add_smoke_command(app);
  learner::tools::add_pretrain_command(app);
  learner::tools::add_classify_command(app);
  learner::tools::add_eval_command(app);
  learner::tools::add_embed_command(app);
  learner::tools::add_pack_command(app);
  learner::tools::add_inspect_command(app);
  learner::tools::add_synth_command(app);
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
