// The fuzz targets: each writes the input where its parser expects it (a string, or a
// temporary file for parsers that take a path) and runs the parser as the tools do.
#include "fuzz/targets.h"

#include <hdf5.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "data/clip_store.h"
#include "data/clip_summary.h"
#include "data/manifest.h"
#include "data/sources/source.h"
#include "base/error.h"
#include "data/sources/dicom_image.h"
#include "data/sources/dicom_reader_process.h"
#include "framework/safetensors.h"
#include "tools/json_config.h"

namespace learner::fuzz {
namespace {

// The input as a file named with `extension` (the sources pick their parser by it); removed
// when done. Under /dev/shm when there is one: no disk traffic per input.
class TempFile {
 public:
  TempFile(const uint8_t* data, size_t size, const char* extension) {
    const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/learner_fuzz_" + std::to_string(::getpid()) + extension;
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename F>
void refusals_are_fine(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

}  // namespace

void manifest_csv(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool skip_bad : {false, true}) {
    refusals_are_fine([&] {
      data::Manifest m = data::parse_manifest(text, "fuzz.csv", "/nonexistent", skip_bad);
      data::check_manifest_scores(m, data::ScoreSpec(), skip_bad);
    });
  }
}

void json_config(const uint8_t* data, size_t size) {
  TempFile file(data, size, ".json");
  // A subcommand with every kind of option the real ones have: text, numbers, a switch, a list.
  CLI::App app{"fuzz", "learner"};
  CLI::App* cmd = app.add_subcommand("pretrain", "");
  std::string out;
  int steps = 0;
  double lr = 0;
  bool sync_bn = false;
  std::vector<float> edges;
  cmd->add_option("--out", out);
  cmd->add_option("--steps", steps);
  cmd->add_option("--lr", lr);
  cmd->add_flag("--sync-bn", sync_bn);
  cmd->add_option("--edges", edges)->delimiter(',');
  tools::add_json_config(*cmd);
  const char* argv[] = {"learner", "pretrain", "--steps", "3", "--config", file.path().c_str()};
  refusals_are_fine([&] {
    std::vector<std::string> args = tools::expand_json_config(app, 6, argv);
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::Error&) {  // CLI11 refusing an expanded value is a refusal too
    }
  });
}

void safetensors(const uint8_t* data, size_t size) {
  TempFile file(data, size, ".safetensors");
  refusals_are_fine([&] { read_safetensors(file.path()); });
}

void clip_store(const uint8_t* data, size_t size) {
  TempFile file(data, size, ".h5");
  std::string problem;
  data::check_clip_store_digest(file.path(), problem);  // what inspect checks first
  refusals_are_fine([&] {
    const data::ClipStoreReader reader(file.path());
    data::check_clip_store(reader, /*read_all_frames=*/true, nullptr);
  });
  // Every HDF5 object the reader opened is closed again, whatever the damage: a close we
  // forgot shows here (HDF5's own leaks on its error paths are in fuzz/lsan.supp).
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0) {
    std::fprintf(stderr, "clip_store: %zd HDF5 objects left open after the reader is gone\n", open);
    std::abort();
  }
}

void dicom(const uint8_t* data, size_t size) {
  // GDCM runs in learner-dicom-reader: without one every input would be "refused", and a
  // reader that exits without an answer or answers garbled is a bug of ours, not a refusal.
  static const std::string reader = data::sources::dicom_reader_executable();
  TempFile file(data, size, ".dcm");
  data::DecodeOptions options;
  options.size = 16;
  try {
    data::decode_source(file.path(), options);
  } catch (const data::sources::DicomReaderFailure& e) {
    std::fprintf(stderr, "dicom: %s failed: %s\n", reader.c_str(), e.what());
    std::abort();
  } catch (const Error&) {
    // a refusal: what damaged input should get
  }
}

void nifti(const uint8_t* data, size_t size) {
  TempFile file(data, size, ".nii");
  data::DecodeOptions options;
  options.size = 16;
  refusals_are_fine([&] { data::decode_source(file.path(), options); });
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {{"manifest_csv", manifest_csv}, {"json_config", json_config},
                                          {"safetensors", safetensors},   {"clip_store", clip_store},
                                          {"dicom", dicom},               {"nifti", nifti}};
  return all;
}

}  // namespace learner::fuzz
