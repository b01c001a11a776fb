// The usual no-weight-decay set of transformer training (timm's param_groups_weight_decay):
// norms and biases (every parameter with at most one dimension), position and time
// embeddings, cls tokens and relative position bias tables are not decayed.
#pragma once

#include <vector>

#include "framework/nn/module.h"

namespace learner::optim {

// One flag per parameter, in the given order: true where weight decay applies.
std::vector<bool> weight_decay_flags(const std::vector<nn::NamedTensor>& params);

}  // namespace learner::optim
