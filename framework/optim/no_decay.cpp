// The no-weight-decay rule, by shape and by the reference implementations' tensor names.
#include "framework/optim/no_decay.h"

#include <string>

namespace learner::optim {

namespace {
bool exempt_by_name(const std::string& name) {
  const std::string last = name.substr(name.rfind('.') + 1);  // npos + 1 == 0: the whole name
  return last == "pos_embed" || last == "cls_token" || last == "time_embed" ||
         last == "relative_position_bias_table";
}
}  // namespace

std::vector<bool> weight_decay_flags(const std::vector<nn::NamedTensor>& params) {
  std::vector<bool> flags;
  for (const auto& [name, t] : params) flags.push_back(t->dim() > 1 && !exempt_by_name(name));
  return flags;
}

}  // namespace learner::optim
