// `learner pack`: imaging files listed in a manifest CSV -> one HDF5 clip store
// (docs/format.md), decoded in parallel, with a progress bar and a summary at the end.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data/clip_summary.h"
#include "data/labels.h"
#include "data/pack.h"
#include "base/error.h"
#include "tools/bool_flag.h"
#include "tools/commands.h"
#include "tools/decode_flags.h"
#include "train/progress.h"

namespace learner::tools {
namespace {

struct PackFlags {
  std::string manifest, out, split = "0.55,0.25,0.20", score_range, edges, band, compression = "deflate";
  DecodeFlags decode;  // --fit, --window, --slice-axis
  int size = 0, channels = 1, workers = 0;
  uint64_t seed = 0;
  bool higher_better = true, skip_bad = false;
};

data::PackOptions to_options(const PackFlags& f) {
  data::PackOptions o;
  o.manifest = f.manifest;
  o.out = f.out;
  LEARNER_CHECK(f.size >= 8 && f.size <= 1024, "--size must be between 8 and 1024 pixels, got ", f.size,
                " (112 or 224 suit ResNet-18)");
  o.decode.size = f.size;
  LEARNER_CHECK(f.channels == 1 || f.channels == 3, "--channels must be 1 (grayscale) or 3 (RGB), got ", f.channels);
  o.decode.channels = f.channels;
  apply_decode_flags(f.decode, o.decode);

  const std::vector<double> split = parse_number_list(f.split, "--split", "three fractions TRAIN,VAL,TEST that sum to 1");
  LEARNER_CHECK(split.size() == 3, "--split takes three fractions TRAIN,VAL,TEST that sum to 1, got '", f.split, "'");
  o.split_fractions = {split[0], split[1], split[2]};
  try {
    data::validate_split_fractions(o.split_fractions);
  } catch (const Error& e) {
    throw Error(str("--split: ", e.what()));
  }
  o.seed = f.seed;

  data::ScoreSpec& spec = o.score_spec;  // defaults: lung ultrasound S/F (SPEC section 2)
  if (!f.score_range.empty()) {
    const std::vector<double> range = parse_number_list(f.score_range, "--score-range", "two numbers LO,HI with LO < HI");
    LEARNER_CHECK(range.size() == 2 && range[0] < range[1], "--score-range takes two numbers LO,HI with LO < HI, got '",
                  f.score_range, "'");
    spec.lo = static_cast<float>(range[0]);
    spec.hi = static_cast<float>(range[1]);
    if (f.edges.empty()) spec.edges.clear();  // the S/F edges belong to the S/F range only
  }
  spec.higher_is_better = f.higher_better;
  if (!f.edges.empty()) {
    spec.edges.clear();
    for (double e : parse_number_list(f.edges, "--edges", "increasing category edges A,B,...")) spec.edges.push_back(static_cast<float>(e));
  }
  if (!f.band.empty()) {
    const std::vector<double> band = parse_number_list(f.band, "--band", "one number >= 0 (the score change that still counts as same)");
    LEARNER_CHECK(band.size() == 1 && band[0] >= 0, "--band takes one number >= 0, got '", f.band, "'");
    spec.band = static_cast<float>(band[0]);
  }
  LEARNER_CHECK(!spec.edges.empty() || spec.band >= 0, "with --score-range, give category --edges A,B,... or a change --band X");
  try {
    data::validate_score_spec(spec);
  } catch (const Error& e) {
    throw Error(str("--edges/--score-range: ", e.what()));
  }
  for (float e : spec.edges) {
    LEARNER_CHECK(e > spec.lo && e < spec.hi, "--edges: edge ", e, " lies outside the score range (", spec.lo, ", ", spec.hi,
                  "); give edges inside --score-range");
  }
  LEARNER_CHECK(f.workers >= 0, "--workers must be >= 0 (0 = one per core), got ", f.workers);
  o.workers = f.workers;
  if (f.compression == "deflate") o.compression = data::Compression::Deflate;
  else if (f.compression == "none") o.compression = data::Compression::None;
  else throw Error(str("--compression must be deflate or none, got '", f.compression, "'"));
  o.skip_bad = f.skip_bad;
  return o;
}

// Ctrl-C or a kill during packing: remove the writer's temporary file (its name is
// OUT.tmp.<pid>, see ClipStoreWriter) so that no partial output remains.
char g_temporary_path[4096];

extern "C" void remove_temporary_and_exit(int signal_number) {
  ::unlink(g_temporary_path);
  ::_exit(128 + signal_number);
}

void remove_temporary_on_signals(const std::string& out) {
  const std::string tmp = out + ".tmp." + std::to_string(::getpid());
  std::strncpy(g_temporary_path, tmp.c_str(), sizeof(g_temporary_path) - 1);
  struct sigaction action = {};
  action.sa_handler = remove_temporary_and_exit;
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &action, nullptr);
}

void run_pack(const PackFlags& flags) {
  const data::PackOptions options = to_options(flags);
  remove_temporary_on_signals(options.out);
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<train::Progress> bar;
  const data::PackResult result = data::pack_clips(options, [&](size_t done, size_t total, int64_t frames) {
    if (!bar) bar = std::make_unique<train::Progress>("pack", total);
    bar->update(done, str("scans, ", frames, " frames"));
  });
  if (bar) bar->finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& c : result.ignored_columns) std::fprintf(stderr, "pack: note: ignored manifest column '%s'\n", c.c_str());
  std::printf("%s: %zu scans, %lld frames of %d x %d x %d (C x H x W, uint8), %s, packed in %s with %d decode threads\n",
              options.out.c_str(), result.scans.size(), static_cast<long long>(result.frames), options.decode.channels,
              options.decode.size, options.decode.size, data::compression_name(options.compression),
              train::format_duration(seconds).c_str(), result.workers);
  std::printf("%s\n", data::score_spec_summary(options.score_spec).c_str());
  std::printf("%s", data::clip_summary(result.scans, options.score_spec).c_str());
  if (!result.skipped.empty()) {
    std::printf("skipped %zu bad rows (--skip-bad):\n", result.skipped.size());
    for (const data::ManifestProblem& p : result.skipped) std::printf("  %s\n", p.message.c_str());
  }
}

}  // namespace

void add_pack_command(CLI::App& app) {
  auto flags = std::make_shared<PackFlags>();
  CLI::App* cmd = app.add_subcommand("pack", "Pack the imaging files listed in a manifest CSV into an HDF5 clip store");
  cmd->add_option("--manifest", flags->manifest, "CSV: patient_id,scan_id,order,score,path[,date,modality,fps,pixel_spacing]")->required();
  cmd->add_option("--out", flags->out, "output .h5 file (written as OUT.tmp.PID, renamed when complete)")->required();
  cmd->add_option("--size", flags->size, "frames are resized to SIZE x SIZE")->required();
  cmd->add_option("--channels", flags->channels, "1 = grayscale, 3 = RGB")->capture_default_str();
  cmd->add_option("--split", flags->split, "patient fractions TRAIN,VAL,TEST")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "seed of the patient split")->capture_default_str();
  cmd->add_option("--score-range", flags->score_range, "LO,HI of the score (default 0,500: S/F)");
  add_bool_flag(cmd, "--higher-better", flags->higher_better, "a higher score is healthier");
  cmd->add_option("--edges", flags->edges, "category edges A,B,... (default 180,275,430 for S/F)");
  cmd->add_option("--band", flags->band, "label pairs by |change| <= BAND (same) instead of categories");
  add_decode_flags(cmd, flags->decode);
  cmd->add_option("--workers", flags->workers, "decode threads (0 = one per core)")->capture_default_str();
  cmd->add_option("--compression", flags->compression, "deflate or none")->capture_default_str();
  add_bool_flag(cmd, "--skip-bad", flags->skip_bad, "pack the readable rows and list the bad ones instead of failing");
  cmd->callback([flags] { run_pack(*flags); });
}

}  // namespace learner::tools
