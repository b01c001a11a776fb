// `learner inspect`: the summary of an existing clip store and a check of its integrity
// (metadata consistent, every frame readable).
#include <cstdio>
#include <string>

#include "data/clip_store.h"
#include "data/clip_summary.h"
#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "base/error.h"
#include "tools/commands.h"
#include "train/progress.h"

namespace learner::tools {
namespace {

struct InspectFlags {
  std::string path;
  bool quick = false;
};

void run_inspect(const InspectFlags& flags) {
  const data::ClipStoreReader reader(flags.path);
  std::string compression = "?", created_by = "?";
  {
    // Provenance that the reader contract does not carry.
    data::h5::File file(H5_CHECK(H5Fopen(flags.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)));
    if (data::h5::has_attribute(file.get(), "compression")) compression = data::h5::read_string_attribute(file.get(), "compression");
    if (data::h5::has_attribute(file.get(), "created_by")) created_by = data::h5::read_string_attribute(file.get(), "created_by");
  }
  std::printf("%s: %s v%d by %s, %zu scans, %lld frames of %d x %d x %d (C x H x W, uint8), %s\n", flags.path.c_str(),
              data::kClipStoreFormat, data::kClipStoreVersion, created_by.c_str(), reader.scans().size(),
              static_cast<long long>(reader.total_frames()), reader.channels(), reader.height(), reader.width(),
              compression.c_str());
  std::printf("%s\n", data::score_spec_summary(reader.score_spec()).c_str());
  std::printf("%s", data::clip_summary(reader.scans(), reader.score_spec()).c_str());
  std::fflush(stdout);  // the summary before the progress lines on stderr
  train::Progress bar("inspect", static_cast<int64_t>(reader.scans().size()));
  const std::vector<std::string> problems =
      data::check_clip_store(reader, !flags.quick, [&](size_t done, size_t) { bar.update(done, "scans read"); });
  bar.finish();
  if (problems.empty()) {
    std::printf("integrity: OK (metadata consistent%s)\n", flags.quick ? "; frames not read (--quick)" : ", every frame readable");
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
  cmd->add_flag("--quick", flags->quick, "check the metadata only, without reading every frame");
  cmd->callback([flags] { run_inspect(*flags); });
}

}  // namespace learner::tools
