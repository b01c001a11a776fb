// What `learner pack` prints at the end and `learner inspect` prints for a file: patients,
// scans, frames and pairs per split and a score histogram; and the integrity check of inspect.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/clip_store.h"

namespace learner::data {

// A table, one row per split plus "all": patients, scans, frames, pairs by label, and scans
// per score category (band mode: per fifth of the score range).
std::string clip_summary(const std::vector<ScanRecord>& scans, const ScoreSpec& spec);

// One line describing the score convention, e.g. "scores in [0, 500], higher is better,
// categories <180 | 180-275 | 275-430 | >=430".
std::string score_spec_summary(const ScoreSpec& spec);

// Checks metadata (ids present and unique, scores finite and in range, one split per
// patient, distinct orders per patient, frame ranges disjoint, fps and spacing valid) and,
// with `read_all_frames`, that every frame decodes. Returns the problems found (empty: OK).
// `progress(done, total)` is called per scan while frames are read.
std::vector<std::string> check_clip_store(const ClipStoreReader& reader, bool read_all_frames,
                                          const std::function<void(size_t, size_t)>& progress = {});

}  // namespace learner::data
