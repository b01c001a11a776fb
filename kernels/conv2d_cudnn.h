// What the cuDNN convolution has decided so far, for tests and the GPU check: how many
// (shape, direction, mode) choices are cached and how many ranked candidates failed to run
// before one did. CUDA builds only.
#pragma once

#include <cstdint>

namespace learner {

struct Conv2dCudnnStats {
  int64_t cached_choices = 0;     // one per (geometry, direction, device, mode) that ran
  int64_t failed_candidates = 0;  // candidates skipped because they did not run, since start
};
Conv2dCudnnStats conv2d_cudnn_stats();

// Forgets every cached choice, so the next convolution of each shape chooses again.
void conv2d_cudnn_clear_choices();

// Test hook: treat the first `n` candidates of every fresh choice as failed (as if cuDNN had
// refused them), so the fall-back to later candidates runs on any GPU. 0 turns it off.
void conv2d_cudnn_reject_first_candidates(int n);

}  // namespace learner
