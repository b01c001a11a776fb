// `--config FILE.json` for any subcommand: the file's keys are flag names without dashes
// ("eps-w" or "eps_w") and supply values for flags not given on the command line, so flags
// always override the file. CLI11 2.1 reads config files only for the top-level app, so
// the file is expanded into command-line arguments before parsing. Yes/no flags
// (tools/bool_flag.h) take true, false, 1 or 0.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace learner::tools {

// Adds `--config FILE` to a subcommand (so --help lists it and parsing accepts it).
void add_json_config(CLI::App& command);

// Returns argv (without the program name) with the values of a subcommand's --config file
// inserted after the subcommand name for every flag the command line does not set. Without
// --config, `--resume --out RUN` reads RUN/config.json the same way.
// Throws learner::Error for an unreadable file, bad JSON or an unknown key.
std::vector<std::string> expand_json_config(const CLI::App& app, int argc, const char* const* argv);

}  // namespace learner::tools
