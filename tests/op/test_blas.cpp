// The CPU GEMM is the OpenMP build of OpenBLAS (docs/performance.md says why): a wrong
// runtime library would silently cost ~3 ms per GEMM after every OpenMP loop.
#include <cblas.h>

#include "tests/util/test_util.h"

TEST_CASE("OpenBLAS at run time is the OpenMP build") {
  // openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP.
  CHECK_MESSAGE(openblas_get_parallel() == 2,
                "linked OpenBLAS is not the OpenMP build; run `make deps` (libopenblas-openmp-dev) and rebuild");
}
