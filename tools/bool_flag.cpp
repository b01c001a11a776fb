// Yes/no flags: one CLI11 option taking 0 or 1 values plus its `--no-` twin.
#include "tools/bool_flag.h"

#include <cctype>

#include "base/error.h"

namespace learner::tools {

std::optional<bool> parse_bool_word(const std::string& word) {
  std::string lower = word;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

std::string negated_flag(const std::string& flag) { return "--no-" + flag.substr(2); }

CLI::Option* add_bool_flag(CLI::App* cmd, const std::string& flag, bool& target, const std::string& help) {
  LEARNER_CHECK(flag.size() > 2 && flag.rfind("--", 0) == 0, "add_bool_flag: '", flag, "' is not a --long flag");
  const std::string off = negated_flag(flag);
  // CLI11 passes an empty word for a bare `--NAME`: the switch form. trigger_on_parse runs
  // each callback where its flag stands, so `--NAME 1 --no-NAME` ends off.
  CLI::Option* option =
      cmd->add_option_function<std::string>(
             flag,
             [&target, flag, off](const std::string& word) {
               if (word.empty()) {
                 target = true;
                 return;
               }
               const std::optional<bool> value = parse_bool_word(word);
               LEARNER_CHECK(value.has_value(), flag, " must be 1 or 0, got ", word, " (true/false, yes/no and on/off work too; ",
                             flag, " alone means 1, ", off, " means 0)");
               target = *value;
             },
             str(help, " (default ", target ? 1 : 0, "; ", off, " = ", flag, " 0)"))
          ->expected(0, 1)
          ->trigger_on_parse()
          ->type_name("[1|0]");
  // Hidden from --help: the line of `flag` names it.
  cmd->add_flag_callback(off, [&target] { target = false; })->trigger_on_parse()->group("");
  return option;
}

}  // namespace learner::tools
