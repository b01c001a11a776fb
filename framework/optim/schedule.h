// Learning-rate schedules evaluated per optimizer step (SPEC section 7: cosine annealing
// to 0 over the run, per step), with an optional linear warm-up.
#pragma once

#include <cstdint>

namespace learner::optim {

struct CosineSchedule {
  float base_lr = 1e-3f;
  int64_t total_steps = 1;   // the run's optimizer steps
  int64_t warmup_steps = 0;  // linear ramp from base_lr / warmup_steps to base_lr
  float min_lr = 0.f;

  // The learning rate for the step with 0-based index `step` (the value to use before
  // taking that step). Step 0 gets base_lr without warm-up, as PyTorch's CosineAnnealingLR.
  float lr_at(int64_t step) const;
};

}  // namespace learner::optim
