// JSON config files expanded into command-line arguments.
#include "tools/json_config.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"

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
    if (args[i] == flag || args[i].rfind(flag + "=", 0) == 0) return true;
  return false;
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
      auto resume = std::find(args.begin() + static_cast<std::ptrdiff_t>(s), args.end(), "--resume");
      auto out = std::find(args.begin() + static_cast<std::ptrdiff_t>(s), args.end(), "--out");
      if (resume == args.end() || out == args.end() || out + 1 == args.end()) return args;
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
