// `learner info`: what this build contains and which devices it can see.
#include <cstdio>

#include "framework/device.h"
#include "framework/runtime.h"
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
    std::printf("learner build: CUDA backend %s, CPU GEMM OpenBLAS, deterministic mode %s\n", cuda,
                deterministic() ? "on" : "off");
    const int gpus = cuda_device_count();
    std::printf("devices: cpu%s", gpus > 0 ? "" : " (no GPU visible)");
    for (int i = 0; i < gpus; ++i) std::printf(", cuda:%d", i);
    std::printf("\n");
  });
}

}  // namespace learner::tools
