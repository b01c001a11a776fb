// CUDA pairwise kernels. The similarity forward and the backward's product with u are
// GEMM-shaped (B*B*E multiply-adds), so they run as 64 x 64 output tiles staged through
// shared memory, 16 x 16 threads each owning 4 x 4 outputs. Every output is reduced in one
// fixed order (k ascending, or a fixed shuffle tree): results repeat to the bit.
#include <algorithm>

#include "base/cuda/check.h"
#include "base/error.h"
#include "kernels/launch.cuh"
#include "kernels/pairwise.h"

namespace learner {

namespace {

constexpr int kTile = 64;                        // outputs per block side
constexpr int kTileK = 16;                       // reduction slice staged in shared memory
constexpr int kThreadSide = 16;                  // 16 x 16 threads per tile block
constexpr int kPerThread = kTile / kThreadSide;  // 4 x 4 outputs per thread, strided by 16
constexpr int kTileThreads = kThreadSide * kThreadSide;
constexpr int kCoefTile = 32;  // backward coefficient tile (32 x 32 pairs)
constexpr int kCoefRows = 8;   // its block is 32 x 8 threads

__global__ void pairwise_abs_diff_kernel(float* d, const float* y, int64_t G, int64_t B) {
  const int64_t n = G * B * B;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < n;
       idx += (int64_t)gridDim.x * blockDim.x) {
    const int64_t row = idx / B;  // g*B + i
    const int64_t j = idx - row * B;
    const int64_t g = row / B;
    d[idx] = fabsf(y[row] - y[g * B + j]);
  }
}

// One warp per row, grid-striding over rows (blocks_for caps the grid at 65535 blocks, i.e.
// 8 rows per block: 524280 rows a pass): lanes stride over E, then a fixed xor tree.
__global__ void row_norm_kernel(float* norm, const float* u, int64_t rows, int64_t E) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = (int64_t)gridDim.x * blockDim.x / 32;
  for (int64_t row = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) / 32; row < rows;
       row += warps) {  // the condition is uniform over the warp
    const float* ur = u + row * E;
    float sq = 0.f;
    for (int64_t e = lane; e < E; e += 32) sq += ur[e] * ur[e];
    for (int offset = 16; offset > 0; offset /= 2) sq += __shfl_xor_sync(0xffffffffu, sq, offset);
    if (lane == 0) norm[row] = fmaxf(sqrtf(sq), kCosNormFloor);
  }
}

// tile[k][r] = m[row0 + r][k0 + k] for a row-major (rows, cols) matrix, zero outside it.
// Consecutive threads read consecutive k (coalesced); the +1 pad spreads the transposed store.
__device__ void load_rows_transposed(float (*tile)[kTile + 1], const float* m, int64_t rows,
                                     int64_t cols, int64_t row0, int64_t k0) {
  const int tid = threadIdx.y * kThreadSide + threadIdx.x;
  for (int pass = 0; pass < kTile * kTileK / kTileThreads; ++pass) {
    const int r = pass * (kTileThreads / kTileK) + tid / kTileK;
    const int k = tid % kTileK;
    const int64_t gr = row0 + r, gk = k0 + k;
    tile[k][r] = (gr < rows && gk < cols) ? m[gr * cols + gk] : 0.f;
  }
}

// tile[k][c] = m[k0 + k][col0 + c] for a row-major (rows, cols) matrix, zero outside it.
__device__ void load_rows(float (*tile)[kTile + 1], const float* m, int64_t rows, int64_t cols,
                          int64_t k0, int64_t col0) {
  const int tid = threadIdx.y * kThreadSide + threadIdx.x;
  for (int pass = 0; pass < kTile * kTileK / kTileThreads; ++pass) {
    const int k = pass * (kTileThreads / kTile) + tid / kTile;
    const int c = tid % kTile;
    const int64_t gk = k0 + k, gc = col0 + c;
    tile[k][c] = (gk < rows && gc < cols) ? m[gk * cols + gc] : 0.f;
  }
}

// s, aux (G,B,B) from u (G,B,E); grid (B/64, B/64, G) rounded up. Zero padding is harmless to
// both reductions (0*0 and (0-0)^2), and padded outputs are never written.
template <Similarity kind>
__global__ void __launch_bounds__(kTileThreads)
    pairwise_similarity_tile_kernel(float* s, float* aux, const float* norm, const float* u,
                                    int64_t B, int64_t E) {
  __shared__ float ti[kTileK][kTile + 1];
  __shared__ float tj[kTileK][kTile + 1];
  const int64_t g = blockIdx.z;
  const int64_t i0 = blockIdx.y * (int64_t)kTile, j0 = blockIdx.x * (int64_t)kTile;
  const float* ug = u + g * B * E;
  const int tx = threadIdx.x, ty = threadIdx.y;
  float acc[kPerThread][kPerThread] = {};
  for (int64_t k0 = 0; k0 < E; k0 += kTileK) {
    load_rows_transposed(ti, ug, B, E, i0, k0);
    load_rows_transposed(tj, ug, B, E, j0, k0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kPerThread], b[kPerThread];
#pragma unroll
      for (int m = 0; m < kPerThread; ++m) a[m] = ti[kk][ty + kThreadSide * m];
#pragma unroll
      for (int n = 0; n < kPerThread; ++n) b[n] = tj[kk][tx + kThreadSide * n];
#pragma unroll
      for (int m = 0; m < kPerThread; ++m) {
#pragma unroll
        for (int n = 0; n < kPerThread; ++n) {
          if constexpr (kind == Similarity::Cos) {
            acc[m][n] += a[m] * b[n];
          } else {
            const float diff = a[m] - b[n];
            acc[m][n] += diff * diff;
          }
        }
      }
    }
    __syncthreads();
  }
  for (int m = 0; m < kPerThread; ++m) {
    const int64_t i = i0 + ty + kThreadSide * m;
    if (i >= B) continue;
    for (int n = 0; n < kPerThread; ++n) {
      const int64_t j = j0 + tx + kThreadSide * n;
      if (j >= B) continue;
      const int64_t ij = (g * B + i) * B + j;
      if constexpr (kind == Similarity::Cos) {
        const float c = acc[m][n] / (norm[g * B + i] * norm[g * B + j]);
        aux[ij] = c;
        s[ij] = fminf(fmaxf(0.5f * (1.f + c), kCosClampLow), 1.f);
      } else {
        const float r = sqrtf(acc[m][n] + kL2Epsilon);
        aux[ij] = r;
        s[ij] = 1.f / (1.f + r);
      }
    }
  }
}

// dL/dc_ij (Cos, through the clamp, which passes the gradient on [low, 1]) or dL/dr_ij (L2).
template <Similarity kind>
__device__ float pair_grad(float ds, float s, float aux) {
  if constexpr (kind == Similarity::Cos) {
    const float v = 0.5f * (1.f + aux);
    return (v >= kCosClampLow && v <= 1.f) ? 0.5f * ds : 0.f;
  } else {
    return -ds * s * s;
  }
}

// Per pair, the coefficient of u_j in du_i (coef, G x B x B) and the summand of the u_i
// coefficient, reduced over this tile's 32 columns into partial (G, B, ceil(B/32)).
// The mirrored gradient (j, i) is staged transposed through shared memory so that every
// global read is coalesced. Grid (B/32, B/32, G) rounded up; block 32 x 8.
template <Similarity kind>
__global__ void similarity_backward_coeff_kernel(float* coef, float* partial, const float* ds,
                                                 const float* s, const float* aux,
                                                 const float* norm, int64_t B) {
  __shared__ float mirrored[kCoefTile][kCoefTile + 1];
  const int64_t g = blockIdx.z;
  const int64_t i0 = blockIdx.y * (int64_t)kCoefTile, j0 = blockIdx.x * (int64_t)kCoefTile;
  const int64_t base = g * B * B;
  const int tx = threadIdx.x;
  for (int r = threadIdx.y; r < kCoefTile; r += kCoefRows) {
    const int64_t j = j0 + r, i = i0 + tx;
    const int64_t ji = base + j * B + i;
    mirrored[r][tx] = (j < B && i < B) ? pair_grad<kind>(ds[ji], s[ji], aux[ji]) : 0.f;
  }
  __syncthreads();
  const int64_t tiles = (B + kCoefTile - 1) / kCoefTile;
  for (int r = threadIdx.y; r < kCoefTile; r += kCoefRows) {
    const int64_t i = i0 + r, j = j0 + tx;
    float summand = 0.f;
    if (i < B && j < B) {
      const int64_t ij = base + i * B + j;
      const float both = pair_grad<kind>(ds[ij], s[ij], aux[ij]) + mirrored[tx][r];
      float m = 0.f;
      if constexpr (kind == Similarity::Cos) {
        const float ni = norm[g * B + i];
        if (i != j || ni <= kCosNormFloor) {
          m = both / (ni * norm[g * B + j]);
          if (ni > kCosNormFloor) summand = both * aux[ij];
        }
      } else {
        if (i != j) {
          const float h = both / aux[ij];
          m = -h;
          summand = h;
        }
      }
      coef[ij] = m;
    }
    // The warp holds the 32 columns of row i: a fixed xor tree sums them.
    for (int offset = 16; offset > 0; offset /= 2)
      summand += __shfl_xor_sync(0xffffffffu, summand, offset);
    if (tx == 0 && i < B) partial[(g * B + i) * tiles + blockIdx.x] = summand;
  }
}

// alpha (G,B): the coefficient of u_i in du_i, summing the partials in column order.
template <Similarity kind>
__global__ void similarity_backward_alpha_kernel(float* alpha, const float* partial,
                                                 const float* norm, int64_t rows, int64_t tiles) {
  for (int64_t row = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; row < rows;
       row += (int64_t)gridDim.x * blockDim.x) {
    float sum = 0.f;
    for (int64_t t = 0; t < tiles; ++t) sum += partial[row * tiles + t];
    if constexpr (kind == Similarity::Cos) {
      const float ni = norm[row];
      alpha[row] = ni > kCosNormFloor ? -sum / (ni * ni) : 0.f;
    } else {
      alpha[row] = sum;
    }
  }
}

// du = coef . u + alpha * u per group: (B,B) x (B,E). Grid (E/64, B/64, G) rounded up.
__global__ void __launch_bounds__(kTileThreads)
    similarity_backward_gemm_kernel(float* du, const float* coef, const float* alpha,
                                    const float* u, int64_t B, int64_t E) {
  __shared__ float tc[kTileK][kTile + 1];  // tc[j][i] = coef[i][j]
  __shared__ float tu[kTileK][kTile + 1];  // tu[j][e] = u[j][e]
  const int64_t g = blockIdx.z;
  const int64_t i0 = blockIdx.y * (int64_t)kTile, e0 = blockIdx.x * (int64_t)kTile;
  const float* cg = coef + g * B * B;
  const float* ug = u + g * B * E;
  const int tx = threadIdx.x, ty = threadIdx.y;
  float acc[kPerThread][kPerThread] = {};
  for (int64_t j0 = 0; j0 < B; j0 += kTileK) {
    load_rows_transposed(tc, cg, B, B, i0, j0);
    load_rows(tu, ug, B, E, j0, e0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kPerThread], b[kPerThread];
#pragma unroll
      for (int m = 0; m < kPerThread; ++m) a[m] = tc[kk][ty + kThreadSide * m];
#pragma unroll
      for (int n = 0; n < kPerThread; ++n) b[n] = tu[kk][tx + kThreadSide * n];
#pragma unroll
      for (int m = 0; m < kPerThread; ++m)
#pragma unroll
        for (int n = 0; n < kPerThread; ++n) acc[m][n] += a[m] * b[n];
    }
    __syncthreads();
  }
  for (int m = 0; m < kPerThread; ++m) {
    const int64_t i = i0 + ty + kThreadSide * m;
    if (i >= B) continue;
    for (int n = 0; n < kPerThread; ++n) {
      const int64_t e = e0 + tx + kThreadSide * n;
      if (e >= E) continue;
      const int64_t ie = (g * B + i) * E + e;
      du[ie] = acc[m][n] + alpha[g * B + i] * u[ie];
    }
  }
}

unsigned tiles_of(int64_t n, int64_t tile) { return static_cast<unsigned>((n + tile - 1) / tile); }

void check_grid(int64_t G, int64_t B, const char* op) {
  LEARNER_CHECK(G <= 65535, op, ": at most 65535 groups per launch, got G = ", G);
  LEARNER_CHECK(B <= int64_t{65535} * kCoefTile, op, ": B = ", B, " exceeds the launch grid");
}

}  // namespace

void pairwise_abs_diff_cuda(float* d, const float* y, int64_t G, int64_t B, cudaStream_t stream) {
  const int64_t n = G * B * B;
  if (n == 0) return;
  pairwise_abs_diff_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream>>>(d, y, G, B);
  CUDA_CHECK_LAUNCH();
}

void pairwise_similarity_forward_cuda(float* s, float* aux, float* norm, const float* u, int64_t G,
                                      int64_t B, int64_t E, Similarity kind, cudaStream_t stream) {
  if (G * B == 0) return;
  check_grid(G, B, "pairwise_similarity");
  const dim3 grid(tiles_of(B, kTile), tiles_of(B, kTile), static_cast<unsigned>(G));
  const dim3 block(kThreadSide, kThreadSide);
  if (kind == Similarity::Cos) {
    row_norm_kernel<<<blocks_for(G * B * 32), kThreadsPerBlock, 0, stream>>>(norm, u, G * B, E);
    CUDA_CHECK_LAUNCH();
    pairwise_similarity_tile_kernel<Similarity::Cos>
        <<<grid, block, 0, stream>>>(s, aux, norm, u, B, E);
  } else {
    pairwise_similarity_tile_kernel<Similarity::L2>
        <<<grid, block, 0, stream>>>(s, aux, norm, u, B, E);
  }
  CUDA_CHECK_LAUNCH();
}

void pairwise_similarity_backward_cuda(float* du, float* workspace, const float* ds, const float* s,
                                       const float* aux, const float* norm, const float* u,
                                       int64_t G, int64_t B, int64_t E, Similarity kind,
                                       cudaStream_t stream) {
  if (G * B * E == 0) return;
  check_grid(G, B, "pairwise_similarity_backward");
  const int64_t tiles = (B + kCoefTile - 1) / kCoefTile;
  float* coef = workspace;                 // (G,B,B)
  float* partial = coef + G * B * B;       // (G,B,tiles)
  float* alpha = partial + G * B * tiles;  // (G,B)
  const dim3 coef_grid(static_cast<unsigned>(tiles), static_cast<unsigned>(tiles),
                       static_cast<unsigned>(G));
  const dim3 coef_block(kCoefTile, kCoefRows);
  if (kind == Similarity::Cos) {
    similarity_backward_coeff_kernel<Similarity::Cos>
        <<<coef_grid, coef_block, 0, stream>>>(coef, partial, ds, s, aux, norm, B);
    CUDA_CHECK_LAUNCH();
    similarity_backward_alpha_kernel<Similarity::Cos>
        <<<blocks_for(G * B), kThreadsPerBlock, 0, stream>>>(alpha, partial, norm, G * B, tiles);
  } else {
    similarity_backward_coeff_kernel<Similarity::L2>
        <<<coef_grid, coef_block, 0, stream>>>(coef, partial, ds, s, aux, norm, B);
    CUDA_CHECK_LAUNCH();
    similarity_backward_alpha_kernel<Similarity::L2>
        <<<blocks_for(G * B), kThreadsPerBlock, 0, stream>>>(alpha, partial, norm, G * B, tiles);
  }
  CUDA_CHECK_LAUNCH();
  const dim3 grid(tiles_of(E, kTile), tiles_of(B, kTile), static_cast<unsigned>(G));
  similarity_backward_gemm_kernel<<<grid, dim3(kThreadSide, kThreadSide), 0, stream>>>(
      du, coef, alpha, u, B, E);
  CUDA_CHECK_LAUNCH();
}

}  // namespace learner
