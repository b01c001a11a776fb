// `learner info`: what this build contains and which devices it can see.
#include <cblas.h>

#include <cstdio>

#include "base/device.h"
#include "base/error.h"
#include "base/runtime.h"
#include "tools/commands.h"

namespace learner::tools {

void add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info", "Print the build configuration and visible devices");
  cmd->callback([] {
#ifdef LEARNER_WITH_CUDA
    const char* cuda = "on";
#else
    const char* cuda = "off (CPU-only build)";
#endif
    const int blas_threading = openblas_get_parallel();
    std::printf("learner build: CUDA backend %s, CPU GEMM OpenBLAS (%s, %d threads), deterministic mode %s\n",
                cuda, blas_threading == 2 ? "OpenMP" : blas_threading == 1 ? "pthreads" : "sequential",
                openblas_get_num_threads(), deterministic() ? "on" : "off");
    const int gpus = cuda_device_count();
    std::printf("devices: cpu%s", gpus > 0 ? "" : str(" (no GPU visible: ", cuda_unavailable_reason(), ")").c_str());
    for (int i = 0; i < gpus; ++i) std::printf(", cuda:%d", i);
    std::printf("\n");
  });
}

}  // namespace learner::tools
