// `learner synth`: writes the synthetic longitudinal lung-ultrasound cohort (docs/synthetic.md)
// as folders of PNG frames plus manifest.csv, ready for `learner pack`, and says how hard its
// pair task is.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "base/error.h"
#include "data/synth/cohort.h"
#include "tools/bool_flag.h"
#include "tools/commands.h"
#include "tools/decode_flags.h"
#include "train/metrics.h"

namespace learner::tools {
namespace {

// The pair labels' mix and the scores of two reference classifiers on all consecutive pairs:
// one that reads the true change (the ceiling: only the recorded scores' noise beats it) and
// the majority class.
void print_difficulty(const data::synth::Cohort& cohort) {
  const data::synth::CohortPairLabels labels = data::synth::cohort_pair_labels(cohort);
  if (labels.recorded.empty()) {
    std::printf("synth: no patient has two scans; no pairs\n");
    return;
  }
  const std::vector<int64_t> recorded(labels.recorded.begin(), labels.recorded.end());
  const std::vector<int64_t> from_true(labels.from_true.begin(), labels.from_true.end());
  const train::ClassificationReport oracle = train::classification_report(recorded, from_true);
  int64_t majority = 0;
  for (int64_t c = 1; c < 3; ++c)
    if (oracle.support[c] > oracle.support[majority]) majority = c;
  const train::ClassificationReport constant =
      train::classification_report(recorded, std::vector<int64_t>(recorded.size(), majority));
  const double n = static_cast<double>(recorded.size());
  std::printf("synth: %zu pairs: improved %lld (%.1f %%), same %lld (%.1f %%), deteriorated %lld (%.1f %%)\n",
              recorded.size(), static_cast<long long>(oracle.support[0]), 100.0 * oracle.support[0] / n,
              static_cast<long long>(oracle.support[1]), 100.0 * oracle.support[1] / n,
              static_cast<long long>(oracle.support[2]), 100.0 * oracle.support[2] / n);
  std::printf("synth: reading the true change: accuracy %.1f %%, macro F1 %.3f; majority class (%s): accuracy %.1f %%, "
              "macro F1 %.3f\n",
              100.0 * oracle.accuracy, oracle.macro_f1, train::pair_class_names()[static_cast<size_t>(majority)].c_str(),
              100.0 * constant.accuracy, constant.macro_f1);
}

}  // namespace

void add_synth_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("synth", "Write a synthetic longitudinal lung-ultrasound cohort");
  struct Args {
    std::string out, pair_shares;
    int patients = -1, size = -1;
    uint64_t seed = 0;
    bool fast = false, plan_only = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--out", args->out, "Output folder (clips/ and manifest.csv)");
  cmd->add_option("--patients", args->patients, "Number of patients (default 189; 6 with --fast)");
  cmd->add_option("--size", args->size, "Frame size in pixels, square (default 128; 32 with --fast)");
  cmd->add_option("--seed", args->seed, "Random seed; the same seed writes the same files");
  cmd->add_option("--pair-shares", args->pair_shares,
                  "IMPROVED,SAME,DETERIORATED: shares of the pair labels (default: the trajectory model)");
  add_bool_flag(cmd, "--fast", args->fast, "Tiny clips (32 x 32, 5-12 frames) for tests");
  add_bool_flag(cmd, "--plan-only", args->plan_only, "Print the pair labels' mix and difficulty; write nothing");
  cmd->callback([args] {
    LEARNER_CHECK(args->plan_only || !args->out.empty(), "synth: --out DIR is required (or pass --plan-only)");
    data::synth::CohortOptions options =
        args->fast ? data::synth::CohortOptions::fast() : data::synth::CohortOptions();
    if (args->patients >= 0) options.patients = args->patients;
    if (args->size >= 0) options.size = args->size;
    options.seed = args->seed;
    if (!args->pair_shares.empty()) {
      const std::vector<double> shares = parse_number_list(
          args->pair_shares, "--pair-shares", "three shares IMPROVED,SAME,DETERIORATED >= 0 that sum to 1");
      LEARNER_CHECK(shares.size() == 3, "--pair-shares takes three shares IMPROVED,SAME,DETERIORATED >= 0 that sum to 1, got '",
                    args->pair_shares, "'");
      options.pair_shares = {static_cast<float>(shares[0]), static_cast<float>(shares[1]), static_cast<float>(shares[2])};
    }
    const auto start = std::chrono::steady_clock::now();
    const data::synth::Cohort cohort = data::synth::plan_cohort(options);
    if (!args->plan_only) data::synth::write_cohort(cohort, options, args->out);
    int64_t frames = 0;
    for (const auto& s : cohort.scans) frames += s.look.frames;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (args->plan_only) {
      std::printf("synth: %zu patients, %zu clips planned (nothing written)\n", cohort.patients.size(),
                  cohort.scans.size());
    } else {
      std::printf("synth: %zu patients, %zu clips, %lld frames of %d x %d in %.1f s -> %s/manifest.csv\n",
                  cohort.patients.size(), cohort.scans.size(), static_cast<long long>(frames), options.size,
                  options.size, seconds, args->out.c_str());
    }
    print_difficulty(cohort);
  });
}

}  // namespace learner::tools
