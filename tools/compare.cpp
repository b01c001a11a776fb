// `learner compare`: is one group of runs better than another on the same test patients?
#include <memory>

#include "tools/commands.h"
#include "train/compare.h"

namespace learner::tools {

void add_compare_command(CLI::App& app) {
  auto o = std::make_shared<train::CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Difference in macro F1 and accuracy between two groups of runs, with a paired bootstrap over test "
                 "patients (seeds pooled) and a verdict");
  cmd->add_option("--a", o->a, "run folders of group A (each with eval.json)")->required()->expected(1, -1);
  cmd->add_option("--b", o->b, "run folders of group B")->required()->expected(1, -1);
  cmd->add_option("--name-a", o->name_a, "name of group A in the verdict")->capture_default_str();
  cmd->add_option("--name-b", o->name_b, "name of group B in the verdict")->capture_default_str();
  cmd->add_option("--resamples", o->bootstrap.resamples, "bootstrap resamples of the test patients")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->bootstrap.seed, "seed of the resampling")->capture_default_str();
  cmd->add_option("--json", o->json_out, "also write the result as JSON to this file");
  cmd->callback([o] { train::run_compare(*o); });
}

}  // namespace learner::tools
