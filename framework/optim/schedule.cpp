// Closed-form cosine annealing: lr = min + (base - min) * (1 + cos(pi * t / T)) / 2.
#include "framework/optim/schedule.h"

#include <algorithm>
#include <cmath>

namespace learner::optim {

float CosineSchedule::lr_at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps)
    return base_lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double t = std::min<double>(static_cast<double>(step - warmup_steps), static_cast<double>(span));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * t / static_cast<double>(span)));
  return static_cast<float>(min_lr + (base_lr - min_lr) * cosine);
}

}  // namespace learner::optim
