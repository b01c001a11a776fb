// Classification and regression losses; each returns a scalar (shape []) mean over the batch.
#pragma once

#include "framework/tensor.h"

namespace learner {

Tensor log_softmax(const Tensor& logits);                        // (N, K) -> (N, K), over K
Tensor cross_entropy(const Tensor& logits, const Tensor& target);  // logits (N, K), target i64 (N)
Tensor mse_loss(const Tensor& prediction, const Tensor& target);   // same shapes; mean of squares

}  // namespace learner
