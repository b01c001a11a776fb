// Writes a clip store (layout: docs/format.md): scans are appended in order, then commit()
// writes the per-scan metadata and renames the temporary file to its final name. A writer
// destroyed before commit() removes its temporary file, so a failed pack leaves nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/clip_store.h"
#include "data/hdf5_check.h"
#include "data/splits.h"

namespace learner::data {

enum class Compression { None, Deflate };
const char* compression_name(Compression compression);  // "none", "deflate"

struct ClipStoreLayout {
  int channels = 1;  // C, 1 or 3
  int height = 0;    // H
  int width = 0;     // W
  Compression compression = Compression::Deflate;
  int deflate_level = 1;  // 1..9; level 1 measured best for time vs size (docs/format.md)
  int chunk_frames = 1;   // frames per HDF5 chunk: 1 suits reading a few spread-out frames
  ScoreSpec score_spec;
  SplitFractions split_fractions;
  uint64_t split_seed = 0;
  std::string created_by = "learner";
};

class ClipStoreWriter {
 public:
  // Creates `path`.tmp.<pid> (replacing any stale one); throws learner::Error when it cannot.
  ClipStoreWriter(const std::string& path, const ClipStoreLayout& layout);
  ~ClipStoreWriter();
  ClipStoreWriter(const ClipStoreWriter&) = delete;
  ClipStoreWriter& operator=(const ClipStoreWriter&) = delete;

  // Appends one scan whose `frames` (record.frames of them) are laid out as (F, C, H, W) uint8.
  // record.frames must be > 0; the scan's position in the file is its append order.
  void append(const ScanRecord& record, const uint8_t* frames);

  // Writes the metadata, closes the file and renames it to the final path.
  void commit();

  const std::string& temporary_path() const { return tmp_path_; }
  size_t scan_count() const { return scans_.size(); }
  int64_t frame_count() const { return total_frames_; }

 private:
  std::string path_, tmp_path_;
  ClipStoreLayout layout_;
  h5::File file_;
  h5::Dataset frames_;
  std::vector<ScanRecord> scans_;
  std::vector<int64_t> offsets_;
  int64_t total_frames_ = 0;
  bool committed_ = false;
};

}  // namespace learner::data
