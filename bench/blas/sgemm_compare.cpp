// OpenBLAS vs BLIS sgemm on the im2col GEMM shapes of conv2d (row-major, median of 15 runs),
// with 1 and 2 threads set through each library's API (no environment variables). With the
// argument "omp", a short OpenMP loop (like im2col) runs before every GEMM: it shows the cost
// of OpenMP's idle spinning for a BLAS that keeps its own pthreads. Not part of the CMake
// build (which globs bench/*.cpp only); docs/performance.md has the numbers.
// Build and run by hand (each g++ command on one line):
//   g++ -O2 -fopenmp -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/blas/sgemm_compare.cpp
//       -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -o /tmp/sgemm_openblas
//   g++ -O2 -fopenmp -DUSE_BLIS -I/usr/include/x86_64-linux-gnu/blis-openmp bench/blas/sgemm_compare.cpp
//       -L/usr/lib/x86_64-linux-gnu/blis-openmp -Wl,-rpath,/usr/lib/x86_64-linux-gnu/blis-openmp
//       -lblis -o /tmp/sgemm_blis
//   /tmp/sgemm_openblas; /tmp/sgemm_blis; /tmp/sgemm_openblas omp; /tmp/sgemm_blis omp
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#ifdef USE_BLIS
#include <blis.h>
#define LIBRARY "BLIS 0.9.0 (openmp)"
static void set_threads(int n) { bli_thread_set_num_threads(n); }
#else
#define LIBRARY "OpenBLAS 0.3.21 (pthread)"
static void set_threads(int n) { openblas_set_num_threads(n); }
#endif

struct Shape {
  const char* name;
  CBLAS_TRANSPOSE trans_a, trans_b;
  int M, N, K;
};

int main(int argc, char** argv) {
  const bool omp_before = argc > 1 && std::strcmp(argv[1], "omp") == 0;
  // M, N, K of the forward GEMM (K x CRS times CRS x N*P*Q) and the two backward GEMMs.
  const Shape shapes[] = {
      {"conv1 fwd        ", CblasNoTrans, CblasNoTrans, 64, 25088, 147},
      {"layer1 fwd       ", CblasNoTrans, CblasNoTrans, 64, 6272, 576},
      {"layer1 dw (N,T)  ", CblasNoTrans, CblasTrans, 64, 576, 6272},
      {"layer1 dcol (T,N)", CblasTrans, CblasNoTrans, 576, 6272, 64},
      {"layer3 fwd       ", CblasNoTrans, CblasNoTrans, 256, 392, 2304},
      {"layer4 fwd       ", CblasNoTrans, CblasNoTrans, 512, 128, 4608},
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<float> scratch(1 << 20);
  std::printf("%s%s\n", LIBRARY, omp_before ? ", with an OpenMP loop before each GEMM" : "");
  for (int threads : {1, 2}) {
    set_threads(threads);
    for (const Shape& s : shapes) {
      std::vector<float> a(size_t(s.M) * s.K), b(size_t(s.K) * s.N), c(size_t(s.M) * s.N);
      for (float& v : a) v = uniform(rng);
      for (float& v : b) v = uniform(rng);
      const int lda = s.trans_a == CblasNoTrans ? s.K : s.M;
      const int ldb = s.trans_b == CblasNoTrans ? s.N : s.K;
      std::vector<double> seconds;
      for (int it = 0; it < 18; ++it) {  // 3 warm-up runs, then 15 timed
        if (omp_before) {
#pragma omp parallel for
          for (int i = 0; i < (1 << 20); ++i) scratch[i] = float(i);
        }
        const auto start = std::chrono::steady_clock::now();
        cblas_sgemm(CblasRowMajor, s.trans_a, s.trans_b, s.M, s.N, s.K, 1.f, a.data(), lda,
                    b.data(), ldb, 0.f, c.data(), s.N);
        const auto end = std::chrono::steady_clock::now();
        if (it >= 3) seconds.push_back(std::chrono::duration<double>(end - start).count());
      }
      std::sort(seconds.begin(), seconds.end());
      const double median = seconds[seconds.size() / 2];
      std::printf("  %d thread(s)  %s M=%4d N=%5d K=%4d  %7.3f ms  %6.1f GFLOP/s\n", threads,
                  s.name, s.M, s.N, s.K, median * 1e3, 2.0 * s.M * s.N * s.K / median * 1e-9);
    }
  }
}
