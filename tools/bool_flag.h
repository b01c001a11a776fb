// Yes/no flags, spelled the same way in every command: `--augment` switches it on,
// `--no-augment` off, and `--augment 0|1` (or true/false, yes/no, on/off; `--augment=0`)
// sets it explicitly, as `--config` files and RUN/config.json do.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace learner::tools {

// 1/true/yes/on -> true, 0/false/no/off -> false (any case); anything else -> nullopt.
std::optional<bool> parse_bool_word(const std::string& word);

// Adds `--NAME [0|1]` and `--no-NAME` to `cmd`, both writing `target`; the last one given
// wins. `flag` is "--NAME". The help shows the default (target's value now). A value that
// is not a yes/no word is a learner::Error naming the flag and the accepted words.
CLI::Option* add_bool_flag(CLI::App* cmd, const std::string& flag, bool& target, const std::string& help);

// The name of the switch-off form of a boolean flag: "--augment" -> "--no-augment".
std::string negated_flag(const std::string& flag);

}  // namespace learner::tools
