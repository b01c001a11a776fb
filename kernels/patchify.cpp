// CPU reference for patch extraction: loops over every pixel of every patch.
#include "kernels/patchify.h"

#include "kernels/parallel.h"

namespace learner {

void patchify_forward_cpu(float* cols, const float* x, int64_t N, int64_t C, int64_t H, int64_t W,
                          int64_t p) {
  const int64_t Hp = H / p, Wp = W / p, K = C * p * p;
#pragma omp parallel for collapse(2) if (N * C * H * W > kParallelMinWork)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < Hp; ++i)
      for (int64_t j = 0; j < Wp; ++j)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t u = 0; u < p; ++u)
            for (int64_t v = 0; v < p; ++v)
              cols[(n * Hp * Wp + i * Wp + j) * K + (c * p + u) * p + v] =
                  x[((n * C + c) * H + i * p + u) * W + j * p + v];
}

void patchify_backward_cpu(float* dx, const float* dcols, int64_t N, int64_t C, int64_t H,
                           int64_t W, int64_t p) {
  const int64_t Hp = H / p, Wp = W / p, K = C * p * p;
#pragma omp parallel for collapse(2) if (N * C * H * W > kParallelMinWork)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const int64_t i = h / p, j = w / p;
          dx[((n * C + c) * H + h) * W + w] =
              i < Hp && j < Wp ? dcols[(n * Hp * Wp + i * Wp + j) * K + (c * p + h % p) * p + w % p]
                               : 0.f;
        }
}

}  // namespace learner
