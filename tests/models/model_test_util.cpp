// The shared model-test helpers: model_test_util.h.
#include "tests/models/model_test_util.h"

#include <map>

#include "tests/util/test_util.h"

namespace learner::test {

void randomize_parameters(nn::Module& module, uint64_t seed) {
  for (auto& [name, t] : module.named_parameters()) {
    const bool norm_weight = name.find("norm") != std::string::npos && name.find("weight") != std::string::npos;
    *t = norm_weight ? random_tensor(t->shape(), seed++, 0.5f, 1.5f) : random_tensor(t->shape(), seed++);
  }
}

void check_model_gradients(nn::Module& module, const std::vector<std::string>& names, const Tensor& x,
                           const std::function<Tensor(const Tensor&)>& forward, float eps) {
  std::map<std::string, Tensor*> params;
  for (auto& [name, t] : module.named_parameters()) params[name] = t;
  std::vector<Tensor> inputs = {x.detach().set_requires_grad(true)};
  for (const std::string& name : names) {
    REQUIRE_MESSAGE(params.count(name) == 1, "no parameter ", name);
    inputs.push_back(params.at(name)->detach().set_requires_grad(true));
  }
  GradCheck options;
  options.eps = eps;
  check_gradients(
      [&](const std::vector<Tensor>& in) {
        for (size_t i = 0; i < names.size(); ++i) *params.at(names[i]) = in[i + 1];
        return forward(in[0]);
      },
      inputs, options);
}

}  // namespace learner::test
