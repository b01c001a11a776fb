// Registration of the subcommands of the `learner` tool; each runs from its callback.
#pragma once

#include <CLI/CLI.hpp>

namespace learner::tools {

void add_info_command(CLI::App& app);   // build configuration and visible devices
void add_synth_command(CLI::App& app);  // synthetic lung-ultrasound cohort

}  // namespace learner::tools
