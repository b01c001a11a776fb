// The manifest: a CSV listing one scan per row (columns in docs/format.md). Parsing checks
// every field and reports problems as "<manifest> line N, column 'c': <problem>".
#pragma once

#include <string>
#include <vector>

#include "data/clip_store.h"

namespace learner::data {

struct ManifestRow {
  int line = 0;               // 1-based line of the CSV file where the row starts
  ScanRecord record;          // frames and split are not known yet; pixel_spacing is the source's
  std::string resolved_path;  // record.source_path joined to the manifest's folder
  bool has_score = true;      // false: no score column, or an empty score (ScoreColumn::Optional)
};

struct ManifestProblem {
  int line = 0;
  std::string message;  // the full message, naming manifest, line and column
};

struct Manifest {
  std::string path;
  std::vector<ManifestRow> rows;                // in file order
  std::vector<std::string> ignored_columns;     // header names we do not use
  std::vector<ManifestProblem> skipped;         // bad rows, when parsed with skip_bad_rows
};

// Whether every row must give a score: training needs one (pack), `learner predict` does not
// (a missing or empty score leaves has_score false and record.score 0).
enum class ScoreColumn { Required, Optional };

// Required columns: patient_id, scan_id, order, score, path. Optional: date, modality, fps,
// pixel_spacing. Header names are matched without case and surrounding spaces; fields may be
// quoted ("a, b" and "" for a quote). Blank lines are skipped. Errors in the header, or in any
// row unless `skip_bad_rows`, throw learner::Error; with `skip_bad_rows` a bad row (bad value,
// duplicate scan id, ...) is listed in `skipped` instead.
Manifest parse_manifest(const std::string& text, const std::string& manifest_name,
                        const std::string& base_dir, bool skip_bad_rows = false,
                        ScoreColumn score_column = ScoreColumn::Required);
Manifest read_manifest(const std::string& path, bool skip_bad_rows = false,
                       ScoreColumn score_column = ScoreColumn::Required);

// Checks that every score given (has_score) lies in [spec.lo, spec.hi]; same error and skipping rules as parsing.
void check_manifest_scores(Manifest& manifest, const ScoreSpec& spec, bool skip_bad_rows = false);

}  // namespace learner::data
