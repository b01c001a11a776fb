// A CLI11 config formatter for JSON files, so that `--config run.json` supplies flag values
// and flags given on the command line override them (CLI11's precedence). Keys are flag
// names without dashes ("eps-w" or "eps_w"); values are strings, numbers, booleans or lists.
#pragma once

#include <CLI/CLI.hpp>

namespace learner::tools {

class JsonConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// Adds `--config FILE` (JSON) to a subcommand.
void add_json_config(CLI::App& command);

// The resolved values of a subcommand's options as a JSON object text (what a run folder
// keeps as config.json): every option with a long name, given or defaulted.
std::string resolved_config_json(const CLI::App& command);

}  // namespace learner::tools
