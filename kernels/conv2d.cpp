// CPU reference for conv2d (the spec the oneDNN path is tested against): im2col + sgemm, images processed in chunks so the column
// buffer stays bounded. Each chunk is one GEMM over all its images' columns.
//
// Layouts for a chunk of nb images starting at n0, with L = nb*P*Q columns:
//   col  (C*R*S, L):  col[(c*R + r)*S + s][i*P*Q + p*Q + q] = x[n0+i, c, ih, iw] (0 outside)
//   ybuf (K, L):      the GEMM result, scattered into y (N, K, P, Q) image by image
// Determinism: OpenMP loops write disjoint rows/planes with a fixed inner order; OpenBLAS
// splits a GEMM over M and N only, so every element keeps one summation order; dw sums the
// chunks in order, and the chunking depends only on the shape (never on the thread count).
#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "base/host_allocator.h"
#include "kernels/conv2d.h"

namespace learner {

namespace {

// Bound on the column buffer: 2M floats (8 MB). ResNet-18 layers at 112x112 with 8 frames then
// run in chunks of 4 to 8 frames; budgets from 4 MB to 32 MB measured within run-to-run noise
// (bench conv2d_cpu), so the smaller footprint wins.
constexpr int64_t kColBudget = int64_t{1} << 21;

int64_t images_per_chunk(const Conv2dGeometry& g) {
  const int64_t per_image = g.C * g.R * g.S * g.P * g.Q;
  return std::clamp<int64_t>(kColBudget / std::max<int64_t>(per_image, 1), 1, g.N);
}

// The smallest q >= 0 with q*stride + offset >= 0.
int64_t first_inside(int64_t offset, int stride) {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

// Fills col (C*R*S, L) for images x[n0 .. n0+nb), each image at column offset i*P*Q.
void im2col(float* col, const float* x, int64_t n0, int64_t nb, const Conv2dGeometry& g) {
  const int64_t PQ = g.P * g.Q, L = nb * PQ;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < nb; ++i) {
    for (int64_t c = 0; c < g.C; ++c) {
      const float* xc = x + ((n0 + i) * g.C + c) * g.H * g.W;
      for (int64_t r = 0; r < g.R; ++r) {
        for (int64_t s = 0; s < g.S; ++s) {
          float* row = col + ((c * g.R + r) * g.S + s) * L + i * PQ;
          for (int64_t p = 0; p < g.P; ++p) {
            const int64_t ih = p * g.stride_h - g.pad_h + r * g.dilation_h;
            float* out = row + p * g.Q;
            if (ih < 0 || ih >= g.H) {
              std::fill(out, out + g.Q, 0.f);
              continue;
            }
            // Columns [q_lo, q_hi) read inside the row; the padding outside them is zero.
            const int64_t iw0 = s * g.dilation_w - g.pad_w;  // iw = q*stride_w + iw0
            const int64_t q_lo = std::min(g.Q, first_inside(iw0, g.stride_w));
            const int64_t q_hi = std::max(q_lo, std::min(g.Q, first_inside(iw0 - g.W, g.stride_w)));
            std::fill(out, out + q_lo, 0.f);
            const float* xrow = xc + ih * g.W;
            for (int64_t q = q_lo; q < q_hi; ++q) out[q] = xrow[q * g.stride_w + iw0];
            std::fill(out + q_hi, out + g.Q, 0.f);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: dx[n0+i, c] = sum of the col entries that read each pixel.
// Each (image, channel) plane is owned by one iteration and summed in (r, s, p, q) order.
void col2im(float* dx, const float* col, int64_t n0, int64_t nb, const Conv2dGeometry& g) {
  const int64_t PQ = g.P * g.Q, L = nb * PQ;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < nb; ++i) {
    for (int64_t c = 0; c < g.C; ++c) {
      float* dxc = dx + ((n0 + i) * g.C + c) * g.H * g.W;
      std::fill(dxc, dxc + g.H * g.W, 0.f);
      for (int64_t r = 0; r < g.R; ++r) {
        for (int64_t s = 0; s < g.S; ++s) {
          const float* row = col + ((c * g.R + r) * g.S + s) * L + i * PQ;
          for (int64_t p = 0; p < g.P; ++p) {
            const int64_t ih = p * g.stride_h - g.pad_h + r * g.dilation_h;
            if (ih < 0 || ih >= g.H) continue;
            const int64_t iw0 = s * g.dilation_w - g.pad_w;  // as in im2col
            const int64_t q_lo = std::min(g.Q, first_inside(iw0, g.stride_w));
            const int64_t q_hi = std::max(q_lo, std::min(g.Q, first_inside(iw0 - g.W, g.stride_w)));
            float* dxrow = dxc + ih * g.W;
            const float* in = row + p * g.Q;
            for (int64_t q = q_lo; q < q_hi; ++q) dxrow[q * g.stride_w + iw0] += in[q];
          }
        }
      }
    }
  }
}

}  // namespace

void conv2d_forward_reference(float* y, const float* x, const float* w, const float* b,
                        const Conv2dGeometry& g) {
  const int64_t CRS = g.C * g.R * g.S, PQ = g.P * g.Q;
  const int64_t chunk = images_per_chunk(g);
  HostBuffer col_buffer(CRS * chunk * PQ * sizeof(float));  // uninitialised: fully written
  HostBuffer ybuf_buffer(g.K * chunk * PQ * sizeof(float));
  float* col = col_buffer.floats();
  float* ybuf = ybuf_buffer.floats();
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.N - n0), L = nb * PQ;
    im2col(col, x, n0, nb, g);
    // ybuf (K, L) = w (K, CRS) * col (CRS, L)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g.K, L, CRS, 1.f, w, CRS, col,
                L, 0.f, ybuf, L);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < nb; ++i) {
      for (int64_t k = 0; k < g.K; ++k) {
        const float* src = ybuf + k * L + i * PQ;
        float* dst = y + ((n0 + i) * g.K + k) * PQ;
        const float bias = b ? b[k] : 0.f;
        for (int64_t j = 0; j < PQ; ++j) dst[j] = src[j] + bias;
      }
    }
  }
}

void conv2d_backward_reference(float* dx, float* dw, float* db, const float* dy, const float* x,
                         const float* w, const Conv2dGeometry& g) {
  const int64_t CRS = g.C * g.R * g.S, PQ = g.P * g.Q;
  if (db) {
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < g.K; ++k) {
      double sum = 0;  // one fixed order per k: images, then pixels
      for (int64_t n = 0; n < g.N; ++n) {
        const float* plane = dy + (n * g.K + k) * PQ;
        for (int64_t j = 0; j < PQ; ++j) sum += plane[j];
      }
      db[k] = static_cast<float>(sum);
    }
  }
  if (!dx && !dw) return;

  const int64_t chunk = images_per_chunk(g);
  // im2col of x for dw, then reused as dcol for dx; uninitialised (always fully written).
  HostBuffer col_buffer(CRS * chunk * PQ * sizeof(float));
  HostBuffer dybuf_buffer(g.K * chunk * PQ * sizeof(float));
  float* col = col_buffer.floats();
  float* dybuf = dybuf_buffer.floats();
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.N - n0), L = nb * PQ;
    // dybuf (K, L): the chunk of dy in the GEMM's column order (the inverse of forward's scatter).
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < nb; ++i) {
      for (int64_t k = 0; k < g.K; ++k) {
        std::memcpy(dybuf + k * L + i * PQ, dy + ((n0 + i) * g.K + k) * PQ,
                    PQ * sizeof(float));
      }
    }
    if (dw) {
      im2col(col, x, n0, nb, g);
      // dw (K, CRS) (+)= dybuf (K, L) * col^T (L, CRS); the first chunk overwrites.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.K, CRS, L, 1.f, dybuf, L,
                  col, L, n0 == 0 ? 0.f : 1.f, dw, CRS);
    }
    if (dx) {
      // dcol (CRS, L) = w^T (CRS, K) * dybuf (K, L)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CRS, L, g.K, 1.f, w, CRS, dybuf,
                  L, 0.f, col, L);
      col2im(dx, col, n0, nb, g);
    }
  }
}

}  // namespace learner
