// Generator draws; all randomness in learner goes through here or counter_rng directly.
#include "framework/random.h"

#include <cmath>

#include "base/counter_rng.h"

namespace learner {

uint64_t Generator::next_u64() { return counter_rng_u64(seed_, counter_++); }

float Generator::uniform() { return counter_rng_uniform(seed_, counter_++); }

float Generator::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

float Generator::normal(float mean, float std) {
  // 1 - u keeps the log argument in (0, 1]; double keeps the transform exact enough.
  const double u1 = 1.0 - static_cast<double>(uniform());
  const double u2 = static_cast<double>(uniform());
  const double r = std::sqrt(-2.0 * std::log(u1));
  return mean + std * static_cast<float>(r * std::cos(2.0 * M_PI * u2));
}

int64_t Generator::randint(int64_t n) {
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // reject the biased tail
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return static_cast<int64_t>(x % range);
}

uint64_t Generator::reserve(uint64_t count) {
  const uint64_t first = counter_;
  counter_ += count;
  return first;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

}  // namespace learner
