// CPU reference for the temporal shift: plain loops over (b, t, c), straight from the spec.
#include "kernels/temporal_shift.h"

#include "kernels/parallel.h"

namespace learner {

namespace {

// `first` is the frame offset the first channel group reads from (+1 forward, -1 backward);
// the second group reads from the opposite side. A source frame outside the clip gives zeros.
void shift_frames_cpu(float* out, const float* in, int64_t B, int64_t T, int64_t C, int64_t HW,
                      int64_t fold, int64_t first) {
#pragma omp parallel for collapse(2) if (B * T * C * HW > kParallelMinWork)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t c = 0; c < C; ++c) {
        int64_t src_t = t;
        if (c < fold)
          src_t = t + first;
        else if (c < 2 * fold)
          src_t = t - first;
        float* dst = out + ((b * T + t) * C + c) * HW;
        if (src_t < 0 || src_t >= T) {
          for (int64_t p = 0; p < HW; ++p) dst[p] = 0.f;
        } else {
          const float* src = in + ((b * T + src_t) * C + c) * HW;
          for (int64_t p = 0; p < HW; ++p) dst[p] = src[p];
        }
      }
    }
  }
}

}  // namespace

void temporal_shift_forward_cpu(float* out, const float* x, int64_t B, int64_t T, int64_t C,
                                int64_t HW, int64_t fold) {
  shift_frames_cpu(out, x, B, T, C, HW, fold, +1);
}

void temporal_shift_backward_cpu(float* dx, const float* dy, int64_t B, int64_t T, int64_t C,
                                 int64_t HW, int64_t fold) {
  shift_frames_cpu(dx, dy, B, T, C, HW, fold, -1);
}

bool temporal_shift_vectorizable(const float* out, const float* in, int64_t C, int64_t HW,
                                 int64_t fold) {
  const bool aligned =
      reinterpret_cast<uintptr_t>(out) % 16 == 0 && reinterpret_cast<uintptr_t>(in) % 16 == 0;
  return aligned && (C * HW) % 4 == 0 && (fold * HW) % 4 == 0;
}

}  // namespace learner
