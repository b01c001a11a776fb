// Inverted dropout: in training each element is zeroed with probability p and the rest
// scaled by 1/(1-p); identity in evaluation. The mask comes from the counter-based
// generator, so CPU and CUDA drop the same elements for the same generator state.
#pragma once

#include "framework/random.h"
#include "framework/tensor.h"

namespace learner {

Tensor dropout(const Tensor& x, float p, bool training, Generator& generator = default_generator());

}  // namespace learner
