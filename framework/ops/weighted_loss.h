// Class-weighted cross-entropy, PyTorch's F.cross_entropy(logits, target, weight=w):
//   loss = sum_n w[t_n] * (-log_softmax(logits)[n, t_n]) / sum_n w[t_n]
// The weighted mean divides by the sum of the weights of the batch's targets, not by N.
// Gradient: dlogits[n, k] = w[t_n] / sum * (softmax[n, k] - [k == t_n]).
#pragma once

#include <cstdint>
#include <vector>

#include "framework/tensor.h"

namespace learner {

// logits (N, K) f32 on any device; target (N) in [0, K) and class_weights (K), each finite
// and >= 0 with a positive sum over the batch's targets, on the host, where the caller holds
// its labels. The (N, K) matrix m[n, t_n] = -w[t_n] / sum (0 elsewhere) is uploaded once and
// the loss is sum(log_softmax(logits) * m): existing differentiable ops, so the backward and
// every device come with them. Returns a scalar (shape []).
Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& target,
                     const std::vector<float>& class_weights);

}  // namespace learner
