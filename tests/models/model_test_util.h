// What the transformer model tests share: random weights that make every path carry signal,
// and the end-to-end finite-difference check of a model in its input and named parameters.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "framework/nn/module.h"

namespace learner::test {

// Every parameter drawn afresh from seed, seed + 1, ...: norm weights in [0.5, 1.5] (no
// collapsed normalisation), everything else in [-1, 1] (no zero bias, no 1e-6 cls token).
void randomize_parameters(nn::Module& module, uint64_t seed);

// check_gradients of forward(x) in x and in each parameter of `module` named in `names`, with
// a central-difference step of eps.
void check_model_gradients(nn::Module& module, const std::vector<std::string>& names, const Tensor& x,
                           const std::function<Tensor(const Tensor&)>& forward, float eps = 3e-3f);

}  // namespace learner::test
