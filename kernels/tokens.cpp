// CPU reference for the token kernels: plain copies and loops.
#include "kernels/tokens.h"

#include <cstring>

#include "kernels/parallel.h"

namespace learner {

void prepend_token_forward_cpu(float* out, const float* x, const float* token, int64_t B,
                               int64_t N, int64_t D) {
  for (int64_t b = 0; b < B; ++b) {
    float* ob = out + b * (N + 1) * D;
    std::memcpy(ob, token, static_cast<size_t>(D) * sizeof(float));
    std::memcpy(ob + D, x + b * N * D, static_cast<size_t>(N * D) * sizeof(float));
  }
}

void prepend_token_backward_cpu(float* dx, float* dtoken, const float* dy, int64_t B, int64_t N,
                                int64_t D) {
  if (dx != nullptr)
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(dx + b * N * D, dy + b * (N + 1) * D + D,
                  static_cast<size_t>(N * D) * sizeof(float));
  if (dtoken == nullptr) return;
  for (int64_t d = 0; d < D; ++d) {
    double acc = 0.0;
    for (int64_t b = 0; b < B; ++b) acc += dy[b * (N + 1) * D + d];
    dtoken[d] = static_cast<float>(acc);
  }
}

void add_broadcast_forward_cpu(float* out, const float* x, const float* p, int64_t Q, int64_t M) {
#pragma omp parallel for if (Q * M > kParallelMinWork)
  for (int64_t q = 0; q < Q; ++q)
    for (int64_t m = 0; m < M; ++m) out[q * M + m] = x[q * M + m] + p[m];
}

}  // namespace learner
