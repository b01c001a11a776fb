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

// One scan's frames compressed into HDF5 chunks away from the writer, so that packing
// compresses on every decode thread (see ClipStoreWriter::encode).
struct EncodedFrames {
  int64_t frames = 0;
  std::vector<std::vector<uint8_t>> chunks;  // one zlib stream per frame (chunk of one frame)
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

  // True when append_encoded() applies: deflate with chunks of one frame.
  static bool can_encode(const ClipStoreLayout& layout);
  // Compresses (F, C, H, W) frames exactly as HDF5's deflate filter would; touches no HDF5
  // state, so any thread may call it. Requires can_encode(layout).
  static EncodedFrames encode(const ClipStoreLayout& layout, const uint8_t* frames, int64_t count);
  // Appends a scan from encode()'s chunks with direct chunk writes (same file as append()).
  void append_encoded(const ScanRecord& record, const EncodedFrames& encoded);

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
