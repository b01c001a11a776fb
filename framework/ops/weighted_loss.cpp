// Class-weighted cross-entropy from log_softmax, mul and sum (framework/ops/weighted_loss.h).
#include "framework/ops/weighted_loss.h"

#include <cmath>

#include "framework/nvtx.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/loss.h"
#include "framework/ops/reduce.h"

namespace learner {

Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& target,
                     const std::vector<float>& class_weights) {
  LEARNER_NVTX_RANGE("weighted_cross_entropy");
  check_dtype(logits, DType::F32, "cross_entropy", "logits");
  check_rank(logits, 2, "cross_entropy", "logits");
  const int64_t n = logits.size(0), k = logits.size(1);
  LEARNER_CHECK(n > 0 && k > 0, "cross_entropy: logits must have at least one row and one class, got ",
                logits.describe());
  LEARNER_CHECK(static_cast<int64_t>(target.size()) == n, "cross_entropy: logits ", logits.describe(), " have ", n,
                " rows but ", target.size(), " targets were given");
  LEARNER_CHECK(static_cast<int64_t>(class_weights.size()) == k, "cross_entropy: ", class_weights.size(),
                " class weights for logits ", logits.describe(), " with ", k, " classes");
  for (int64_t c = 0; c < k; ++c)
    LEARNER_CHECK(std::isfinite(class_weights[c]) && class_weights[c] >= 0, "cross_entropy: class weight ", c,
                  " is ", class_weights[c], "; weights must be finite and >= 0");
  double total = 0;
  for (int64_t r = 0; r < n; ++r) {
    LEARNER_CHECK(target[r] >= 0 && target[r] < k, "cross_entropy: target of sample ", r, " is ", target[r],
                  ", outside the ", k, " classes [0, ", k, ")");
    total += class_weights[target[r]];
  }
  LEARNER_CHECK(total > 0, "cross_entropy: the class weights of this batch's targets sum to 0");
  std::vector<float> picks(n * k, 0.f);
  for (int64_t r = 0; r < n; ++r)
    picks[r * k + target[r]] = static_cast<float>(-static_cast<double>(class_weights[target[r]]) / total);
  const Tensor matrix = Tensor::from_vector(picks, {n, k}, logits.device());
  return sum(mul(log_softmax(logits), matrix));
}

}  // namespace learner
