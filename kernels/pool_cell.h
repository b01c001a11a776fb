// The per-cell pooling math (see pool.h), shared by the CPU loops and the CUDA kernels so
// that both scan windows in the same order and agree to the bit. Host and device code.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/pool.h"

#ifndef LEARNER_HD
#ifdef __CUDACC__
#define LEARNER_HD __host__ __device__ __forceinline__
#else
#define LEARNER_HD inline
#endif
#endif

namespace learner {

// The in-bounds input rows [begin, end) of a window starting at `start` (may be negative).
struct Span {
  int64_t begin, end;
};
LEARNER_HD Span window_span(int64_t start, int kernel, int64_t size) {
  const int64_t end = start + kernel;
  return {start < 0 ? 0 : start, end > size ? size : end};
}

// The outputs [begin, end) whose windows (stride, kernel, pad) contain input index i.
LEARNER_HD Span outputs_covering(int64_t i, int kernel, int stride, int pad, int64_t out_size) {
  const int64_t shifted = i + pad;
  const int64_t begin = shifted < kernel ? 0 : (shifted - kernel) / stride + 1;
  const int64_t end = shifted / stride + 1;
  return {begin, end > out_size ? out_size : end};
}

// plane is one (H, W) input plane; writes output (oh, ow) of that plane's (OH, OW) outputs.
LEARNER_HD void maxpool2d_cell(float* y, int32_t* argmax, const float* plane, const PoolGeometry& g,
                               int64_t oh, int64_t ow) {
  const Span rows = window_span(oh * g.stride_h - g.pad_h, g.kernel_h, g.H);
  const Span cols = window_span(ow * g.stride_w - g.pad_w, g.kernel_w, g.W);
  float best = -INFINITY;
  int64_t best_index = rows.begin * g.W + cols.begin;
  for (int64_t h = rows.begin; h < rows.end; ++h) {
    for (int64_t w = cols.begin; w < cols.end; ++w) {
      const float v = plane[h * g.W + w];
      // Strictly greater keeps the first maximum; v != v lets a NaN win, as in PyTorch.
      if (v > best || v != v) {
        best = v;
        best_index = h * g.W + w;
      }
    }
  }
  *y = best;
  *argmax = static_cast<int32_t>(best_index);
}

// dL/dx at input (h, w) of one plane: dy_plane, argmax_plane are that plane's (OH, OW).
LEARNER_HD float maxpool2d_backward_cell(const float* dy_plane, const int32_t* argmax_plane,
                                         const PoolGeometry& g, int64_t h, int64_t w) {
  const Span ohs = outputs_covering(h, g.kernel_h, g.stride_h, g.pad_h, g.OH);
  const Span ows = outputs_covering(w, g.kernel_w, g.stride_w, g.pad_w, g.OW);
  const int32_t self = static_cast<int32_t>(h * g.W + w);
  float sum = 0.f;
  for (int64_t oh = ohs.begin; oh < ohs.end; ++oh)
    for (int64_t ow = ows.begin; ow < ows.end; ++ow)
      if (argmax_plane[oh * g.OW + ow] == self) sum += dy_plane[oh * g.OW + ow];
  return sum;
}

LEARNER_HD float avgpool2d_cell(const float* plane, const PoolGeometry& g, int64_t oh, int64_t ow) {
  const Span rows = window_span(oh * g.stride_h - g.pad_h, g.kernel_h, g.H);
  const Span cols = window_span(ow * g.stride_w - g.pad_w, g.kernel_w, g.W);
  float sum = 0.f;
  for (int64_t h = rows.begin; h < rows.end; ++h)
    for (int64_t w = cols.begin; w < cols.end; ++w) sum += plane[h * g.W + w];
  return sum / static_cast<float>(g.kernel_h * g.kernel_w);
}

LEARNER_HD float avgpool2d_backward_cell(const float* dy_plane, const PoolGeometry& g, int64_t h,
                                         int64_t w) {
  const Span ohs = outputs_covering(h, g.kernel_h, g.stride_h, g.pad_h, g.OH);
  const Span ows = outputs_covering(w, g.kernel_w, g.stride_w, g.pad_w, g.OW);
  const float divisor = static_cast<float>(g.kernel_h * g.kernel_w);
  float sum = 0.f;
  for (int64_t oh = ohs.begin; oh < ohs.end; ++oh)
    for (int64_t ow = ows.begin; ow < ows.end; ++ow) sum += dy_plane[oh * g.OW + ow] / divisor;
  return sum;
}

}  // namespace learner
