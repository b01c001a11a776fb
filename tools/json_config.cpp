// JSON config files expanded into command-line arguments.
#include "tools/json_config.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "tools/bool_flag.h"

namespace learner::tools {

namespace {
using json = nlohmann::json;

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

bool given(const std::vector<std::string>& args, size_t from, const std::string& flag) {
  for (size_t i = from; i < args.size(); ++i)
    if (args[i] == flag || args[i].rfind(flag + "=", 0) == 0 || args[i] == negated_flag(flag)) return true;
  return false;
}

// Whether the command line from `from` on switches --resume on: `--resume`, `--resume 1`,
// `--resume=yes`; `--resume 0` and `--no-resume` leave it off.
bool resuming(const std::vector<std::string>& args, size_t from) {
  bool on = false;
  for (size_t i = from; i < args.size(); ++i) {
    if (args[i] == "--no-resume") on = false;
    if (args[i].rfind("--resume=", 0) == 0) on = parse_bool_word(args[i].substr(9)).value_or(true);
    if (args[i] != "--resume") continue;
    const std::optional<bool> word = i + 1 < args.size() ? parse_bool_word(args[i + 1]) : std::nullopt;
    on = word.value_or(true);
  }
  return on;
}

// A boolean flag (tools/bool_flag.h) has a `--no-` twin.
bool is_bool_flag(const CLI::App& command, const std::string& flag) {
  return command.get_option_no_throw(negated_flag(flag)) != nullptr;
}
}  // namespace

void add_json_config(CLI::App& command) {
  command.add_option("--config", "JSON file of flag values; flags given on the command line override it")
      ->check(CLI::ExistingFile);
}

std::vector<std::string> expand_json_config(const CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t s = 0; s < args.size(); ++s) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : app.get_subcommands({}))
      if (candidate->get_name() == args[s]) sub = candidate;
    if (sub == nullptr) continue;
    auto config = std::find(args.begin() + static_cast<std::ptrdiff_t>(s), args.end(), "--config");
    std::string path;
    if (config != args.end() && config + 1 != args.end()) {
      path = *(config + 1);
    } else {
      // `--resume --out RUN` continues with the run's own configuration.
      auto out = std::find(args.begin() + static_cast<std::ptrdiff_t>(s), args.end(), "--out");
      if (!resuming(args, s + 1) || out == args.end() || out + 1 == args.end()) return args;
      path = *(out + 1) + "/config.json";
      if (!std::ifstream(path)) return args;  // the command reports the missing run
    }
    std::ifstream in(path);
    LEARNER_CHECK(in, "--config: cannot read '", path, "'");
    json root;
    try {
      in >> root;
    } catch (const json::exception& e) {
      throw Error(str("--config ", path, ": not valid JSON: ", e.what()));
    }
    LEARNER_CHECK(root.is_object(), "--config ", path, ": the file must hold a JSON object of flag values");
    std::vector<std::string> extra;
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string name = it.key();
      std::replace(name.begin(), name.end(), '_', '-');
      const std::string flag = "--" + name;
      const CLI::Option* opt = sub->get_option_no_throw(flag);
      LEARNER_CHECK(opt != nullptr, "--config ", path, ": '", it.key(), "' is not a flag of `", sub->get_name(),
                    "` (see learner ", sub->get_name(), " --help)");
      if (given(args, s + 1, flag) || it.value().is_null()) continue;
      if (is_bool_flag(*sub, flag)) {
        const json& v = it.value();
        const std::optional<bool> value = v.is_boolean() ? std::optional<bool>(v.get<bool>())
                                          : v.is_string()  ? parse_bool_word(v.get<std::string>())
                                          : v.is_number_integer() ? parse_bool_word(v.dump())
                                                                  : std::nullopt;
        LEARNER_CHECK(value.has_value(), "--config ", path, ": '", it.key(), "' is a yes/no flag; give true, false, 1 or 0, got ",
                      v.dump());
        extra.push_back(flag);
        extra.push_back(*value ? "1" : "0");
        continue;
      }
      if (opt->get_type_size() == 0) {  // a switch: present when true
        if (it.value().is_boolean() && it.value().get<bool>()) extra.push_back(flag);
        continue;
      }
      if (it.value().is_string() && it.value().get<std::string>().empty()) continue;
      const json values = it.value().is_array() ? it.value() : json::array({it.value()});
      for (const json& v : values) {
        extra.push_back(flag);
        extra.push_back(scalar_text(v));
      }
    }
    args.insert(args.begin() + static_cast<std::ptrdiff_t>(s) + 1, extra.begin(), extra.end());
    return args;
  }
  return args;
}

}  // namespace learner::tools
