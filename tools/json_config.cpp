// JSON <-> CLI11 options.
#include "tools/json_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace learner::tools {

namespace {
using json = nlohmann::json;

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

// Numbers and booleans stay typed in the resolved config; everything else is a string.
json typed(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  try {
    size_t used = 0;
    const double d = std::stod(text, &used);
    if (used == text.size()) {
      if (text.find_first_of(".eE") == std::string::npos) return std::stoll(text);
      return d;
    }
  } catch (const std::exception&) {
  }
  return text;
}

json option_value(const CLI::Option* opt) {
  std::vector<std::string> values = opt->count() > 0 ? opt->results() : std::vector<std::string>{};
  if (values.empty()) {
    const std::string def = opt->get_default_str();
    if (def.empty()) return nullptr;
    values = {def};
  }
  if (values.size() == 1) return typed(values[0]);
  json list = json::array();
  for (const auto& v : values) list.push_back(typed(v));
  return list;
}
}  // namespace

std::vector<CLI::ConfigItem> JsonConfig::from_config(std::istream& input) const {
  json root;
  try {
    input >> root;
  } catch (const json::exception& e) {
    throw CLI::ConversionError(std::string("--config: not valid JSON: ") + e.what());
  }
  if (!root.is_object()) throw CLI::ConversionError("--config: the file must hold a JSON object");
  std::vector<CLI::ConfigItem> parsed;
  for (auto it = root.begin(); it != root.end(); ++it) {
    CLI::ConfigItem item;
    item.name = it.key();
    std::replace(item.name.begin(), item.name.end(), '_', '-');
    if (it.value().is_array()) {
      for (const json& v : it.value()) item.inputs.push_back(scalar_text(v));
    } else if (it.value().is_object()) {
      throw CLI::ConversionError("--config: '" + it.key() + "' holds an object; use flat keys");
    } else {
      item.inputs.push_back(scalar_text(it.value()));
    }
    parsed.push_back(std::move(item));
  }
  return parsed;
}

std::string JsonConfig::to_config(const CLI::App* app, bool, bool, std::string) const {
  return resolved_config_json(*app);
}

void add_json_config(CLI::App& command) {
  command.set_config("--config", "", "JSON file of flag values (flags given here override it)");
  command.config_formatter(std::make_shared<JsonConfig>());
}

std::string resolved_config_json(const CLI::App& command) {
  json out = json::object();
  for (const CLI::Option* opt : command.get_options()) {
    const std::string name = opt->get_single_name();
    if (opt->get_lnames().empty() || name == "help" || name == "config") continue;
    out[name] = option_value(opt);
  }
  return out.dump(2);
}

}  // namespace learner::tools
