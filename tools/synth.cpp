// `learner synth`: writes the synthetic longitudinal lung-ultrasound cohort (docs/synthetic.md)
// as folders of PNG frames plus manifest.csv, ready for `learner pack`.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "data/synth/cohort.h"
#include "tools/bool_flag.h"
#include "tools/commands.h"

namespace learner::tools {

void add_synth_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("synth", "Write a synthetic longitudinal lung-ultrasound cohort");
  struct Args {
    std::string out;
    int patients = -1, size = -1;
    uint64_t seed = 0;
    bool fast = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--out", args->out, "Output folder (clips/ and manifest.csv)")->required();
  cmd->add_option("--patients", args->patients, "Number of patients (default 189; 6 with --fast)");
  cmd->add_option("--size", args->size, "Frame size in pixels, square (default 128; 32 with --fast)");
  cmd->add_option("--seed", args->seed, "Random seed; the same seed writes the same files");
  add_bool_flag(cmd, "--fast", args->fast, "Tiny clips (32 x 32, 5-12 frames) for tests");
  cmd->callback([args] {
    data::synth::CohortOptions options =
        args->fast ? data::synth::CohortOptions::fast() : data::synth::CohortOptions();
    if (args->patients >= 0) options.patients = args->patients;
    if (args->size >= 0) options.size = args->size;
    options.seed = args->seed;
    const auto start = std::chrono::steady_clock::now();
    const data::synth::Cohort cohort = data::synth::plan_cohort(options);
    data::synth::write_cohort(cohort, options, args->out);
    int64_t frames = 0;
    for (const auto& s : cohort.scans) frames += s.look.frames;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("synth: %zu patients, %zu clips, %lld frames of %d x %d in %.1f s -> %s/manifest.csv\n",
                cohort.patients.size(), cohort.scans.size(), static_cast<long long>(frames),
                options.size, options.size, seconds, args->out.c_str());
  });
}

}  // namespace learner::tools
