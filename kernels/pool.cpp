// CPU reference for pooling (see pool.h): plain loops over (n, c) planes in parallel, each
// plane written only by its own iteration, with the cell math of pool_cell.h.
#include "kernels/pool.h"

#include "kernels/pool_cell.h"

namespace learner {

void maxpool2d_forward_cpu(float* y, int32_t* argmax, const float* x, const PoolGeometry& g) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
#pragma omp parallel for
  for (int64_t p = 0; p < g.N * g.C; ++p)
    for (int64_t oh = 0; oh < g.OH; ++oh)
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t o = p * out_plane + oh * g.OW + ow;
        maxpool2d_cell(y + o, argmax + o, x + p * in_plane, g, oh, ow);
      }
}

// Scatter form: each output adds its dy to the input it took, visiting outputs in (oh, ow)
// order. An input then receives its terms in the same order maxpool2d_backward_cell (the
// CUDA kernel's gather) sums them, from the same 0, so the bits agree; it is 3-4x faster on
// the CPU than evaluating the cell (its window arithmetic) for every input pixel.
void maxpool2d_backward_cpu(float* dx, const float* dy, const int32_t* argmax,
                            const PoolGeometry& g) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
#pragma omp parallel for
  for (int64_t p = 0; p < g.N * g.C; ++p) {
    float* dx_plane = dx + p * in_plane;
    const float* dy_plane = dy + p * out_plane;
    const int32_t* argmax_plane = argmax + p * out_plane;
    for (int64_t i = 0; i < in_plane; ++i) dx_plane[i] = 0.f;
    for (int64_t o = 0; o < out_plane; ++o) dx_plane[argmax_plane[o]] += dy_plane[o];
  }
}

void avgpool2d_forward_cpu(float* y, const float* x, const PoolGeometry& g) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
#pragma omp parallel for
  for (int64_t p = 0; p < g.N * g.C; ++p)
    for (int64_t oh = 0; oh < g.OH; ++oh)
      for (int64_t ow = 0; ow < g.OW; ++ow)
        y[p * out_plane + oh * g.OW + ow] = avgpool2d_cell(x + p * in_plane, g, oh, ow);
}

void avgpool2d_backward_cpu(float* dx, const float* dy, const PoolGeometry& g) {
  const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
#pragma omp parallel for
  for (int64_t p = 0; p < g.N * g.C; ++p)
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t w = 0; w < g.W; ++w)
        dx[p * in_plane + h * g.W + w] = avgpool2d_backward_cell(dy + p * out_plane, g, h, w);
}

void global_avgpool2d_forward_cpu(float* y, const float* x, int64_t NC, int64_t HW) {
#pragma omp parallel for
  for (int64_t p = 0; p < NC; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < HW; ++i) sum += x[p * HW + i];
    y[p] = static_cast<float>(sum / static_cast<double>(HW));
  }
}

void global_avgpool2d_backward_cpu(float* dx, const float* dy, int64_t NC, int64_t HW) {
  const float inv_hw = 1.f / static_cast<float>(HW);
#pragma omp parallel for
  for (int64_t p = 0; p < NC; ++p)
    for (int64_t i = 0; i < HW; ++i) dx[p * HW + i] = dy[p] * inv_hw;
}

}  // namespace learner
