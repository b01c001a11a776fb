// `learner pack` as a library call: manifest -> checked rows -> patient split -> parallel
// decode (worker threads) -> one writer in manifest order (so the file is deterministic) ->
// renamed into place only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/clip_store.h"
#include "data/clip_store_writer.h"
#include "data/frame_source.h"
#include "data/manifest.h"
#include "data/sources/source.h"
#include "data/splits.h"

namespace learner::data {

struct PackOptions {
  std::string manifest;  // CSV path
  std::string out;       // .h5 path
  DecodeOptions decode;
  ScoreSpec score_spec;
  SplitFractions split_fractions;
  uint64_t seed = 0;
  int workers = 0;  // decode threads; 0 = one per core
  Compression compression = Compression::Deflate;
  bool skip_bad = false;  // pack the rest and list bad rows instead of failing
};

struct PackResult {
  std::vector<ScanRecord> scans;               // as written, in manifest order
  std::vector<ManifestProblem> skipped;        // with skip_bad: what was left out and why
  std::vector<std::string> ignored_columns;    // manifest columns pack does not use
  int64_t frames = 0;
  int workers = 0;
};

// Called by the writer after each manifest row: rows done (written or skipped), rows in
// all, frames written so far.
using PackProgress = std::function<void(size_t done, size_t total, int64_t frames)>;

// Throws learner::Error (naming the manifest line, file and problem) on the first bad row
// unless options.skip_bad; either way no output file remains after an error.
PackResult pack_clips(const PackOptions& options, const PackProgress& progress = {});

// The rows of `manifest` decoded exactly as pack decodes them (the same importers, options,
// decode threads and per-row error messages) into memory instead of a file, each scan in
// split Test: how `learner predict` reads new scans. Throws learner::Error naming the
// manifest line, scan and problem at the first row that cannot be decoded.
std::shared_ptr<MemorySource> decode_manifest(const Manifest& manifest, const DecodeOptions& decode,
                                              const ScoreSpec& spec, int workers = 0);

}  // namespace learner::data
