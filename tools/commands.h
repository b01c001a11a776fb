// Registration of the subcommands of the `learner` tool; each runs from its callback.
#pragma once

#include <CLI/CLI.hpp>

namespace learner::tools {

void add_info_command(CLI::App& app);  // build configuration and visible devices
void add_report_command(CLI::App& app);  // Markdown + HTML report with SVG figures from run folders
void add_demo_command(CLI::App& app);  // the main job: a small end-to-end training run

}  // namespace learner::tools
