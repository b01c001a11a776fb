// `learner inspect`: the summary of an existing clip store and a check of its integrity
// (metadata consistent, every frame readable).
#include <cstdio>
#include <memory>
#include <string>

#include "data/clip_store.h"
#include "data/clip_summary.h"
#include "base/error.h"
#include "tools/bool_flag.h"
#include "tools/commands.h"
#include "train/progress.h"

namespace learner::tools {
namespace {

struct InspectFlags {
  std::string path;
  bool quick = false;
};

void run_inspect(const InspectFlags& flags) {
  // The whole-file checksum first (any changed byte), then the reader's own checks, which
  // also run on a damaged file: they must refuse it cleanly whatever the checksum said.
  std::string digest_problem;
  const data::DigestCheck digest =
      flags.quick ? data::DigestCheck::Match : data::check_clip_store_digest(flags.path, digest_problem);
  std::unique_ptr<data::ClipStoreReader> opened;
  try {
    opened = std::make_unique<data::ClipStoreReader>(flags.path);
  } catch (const Error& e) {
    if (digest != data::DigestCheck::Mismatch) throw;
    throw Error(str(digest_problem, "\n  and on reading: ", e.what()));
  }
  const data::ClipStoreReader& reader = *opened;
  const std::string& compression = reader.compression();
  const std::string& created_by = reader.created_by();
  std::printf("%s: %s v%d by %s, %zu scans, %lld frames of %d x %d x %d (C x H x W, uint8), %s\n", flags.path.c_str(),
              data::kClipStoreFormat, data::kClipStoreVersion, created_by.c_str(), reader.scans().size(),
              static_cast<long long>(reader.total_frames()), reader.channels(), reader.height(), reader.width(),
              compression.c_str());
  std::printf("%s\n", data::score_spec_summary(reader.score_spec()).c_str());
  std::printf("%s", data::clip_summary(reader.scans(), reader.score_spec()).c_str());
  std::fflush(stdout);  // the summary before the progress lines on stderr
  train::Progress bar("inspect", static_cast<int64_t>(reader.scans().size()));
  std::vector<std::string> problems =
      data::check_clip_store(reader, !flags.quick, [&](size_t done, size_t) { bar.update(done, "scans read"); });
  if (digest != data::DigestCheck::Match) problems.insert(problems.begin(), digest_problem);
  bar.finish();
  if (problems.empty()) {
    std::printf("integrity: OK (metadata consistent%s)\n",
              flags.quick ? "; frames and checksum not read (--quick)" : ", every frame readable, file checksum matches");
    return;
  }
  std::printf("integrity: %zu problems\n", problems.size());
  for (const std::string& p : problems) std::printf("  %s\n", p.c_str());
  throw Error(str(flags.path, " failed the integrity check (", problems.size(), " problems, listed above); repack it with `learner pack`"));
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand("inspect", "Summarise an HDF5 clip store and check its integrity");
  cmd->add_option("file", flags->path, "a .h5 file written by `learner pack`")->required();
  add_bool_flag(cmd, "--quick", flags->quick, "check the metadata only, without reading every frame");
  cmd->callback([flags] { run_inspect(*flags); });
}

}  // namespace learner::tools
