// CPU inverted dropout: each element draws its own counter, so the loop order is free.
#include "kernels/dropout.h"

#include "base/counter_rng.h"

namespace learner {

void dropout_cpu(float* out, const float* in, int64_t n, float p, float scale, uint64_t seed,
                 uint64_t first) {
#pragma omp parallel for if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = counter_rng_uniform(seed, first + static_cast<uint64_t>(i)) >= p;
    out[i] = keep ? scale * in[i] : 0.f;
  }
}

}  // namespace learner
