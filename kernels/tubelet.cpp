// CPU reference for tubelet extraction: loops over every pixel of every tubelet.
#include "kernels/tubelet.h"

#include "kernels/parallel.h"

namespace learner {

void tubelet_forward_cpu(float* cols, const float* x, const TubeletShape& s) {
  const int64_t Tt = s.T / s.tt, Hp = s.H / s.p, Wp = s.W / s.p, K = s.row(), p = s.p;
#pragma omp parallel for collapse(2) if (s.B * s.T * s.C * s.H * s.W > kParallelMinWork)
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = 0; t < Tt; ++t)
      for (int64_t i = 0; i < Hp; ++i)
        for (int64_t j = 0; j < Wp; ++j) {
          float* row = cols + ((b * Tt + t) * Hp * Wp + i * Wp + j) * K;
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t dt = 0; dt < s.tt; ++dt) {
              const int64_t frame = b * s.T + t * s.tt + dt;
              for (int64_t u = 0; u < p; ++u)
                for (int64_t v = 0; v < p; ++v)
                  row[((c * s.tt + dt) * p + u) * p + v] = x[((frame * s.C + c) * s.H + i * p + u) * s.W + j * p + v];
            }
        }
}

void tubelet_backward_cpu(float* dx, const float* dcols, const TubeletShape& s) {
  const int64_t Tt = s.T / s.tt, Hp = s.H / s.p, Wp = s.W / s.p, K = s.row(), p = s.p;
#pragma omp parallel for collapse(2) if (s.B * s.T * s.C * s.H * s.W > kParallelMinWork)
  for (int64_t frame = 0; frame < s.B * s.T; ++frame)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t w = 0; w < s.W; ++w) {
          const int64_t b = frame / s.T, t = (frame % s.T) / s.tt, dt = frame % s.tt, i = h / p, j = w / p;
          dx[((frame * s.C + c) * s.H + h) * s.W + w] =
              i < Hp && j < Wp ? dcols[((b * Tt + t) * Hp * Wp + i * Wp + j) * K + ((c * s.tt + dt) * p + h % p) * p + w % p]
                               : 0.f;
        }
}

}  // namespace learner
