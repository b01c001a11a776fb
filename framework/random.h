// The framework's random source: a seed and a counter over the counter-based generator, so
// the state is two integers (saved in checkpoints) and every draw is reproducible.
#pragma once

#include <cstdint>

namespace learner {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}

  uint64_t next_u64();
  float uniform();                      // [0, 1)
  float uniform(float lo, float hi);    // [lo, hi)
  float normal(float mean = 0.f, float std = 1.f);  // Box-Muller on two uniforms
  int64_t randint(int64_t n);           // [0, n), unbiased
  // Reserves `count` consecutive counters (for a kernel that draws them itself).
  uint64_t reserve(uint64_t count);

  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }
  void set_state(uint64_t seed, uint64_t counter) { seed_ = seed; counter_ = counter; }

 private:
  uint64_t seed_ = 0;
  uint64_t counter_ = 0;
};

// The process-wide generator used for parameter initialisation and dropout.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace learner
