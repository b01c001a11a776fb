// The clip store: one HDF5 file per dataset holding uint8 frames of every scan plus the
// per-scan and per-dataset metadata of SPEC sections 2-3 (layout: docs/format.md).
// This header is the contract between `learner pack` (the writer) and the loader (the reader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace learner::data {

// The root attributes `format` and `format_version` of every clip store. Version 2 is built
// to survive damage (docs/format.md): checksummed metadata, fixed-length strings, Fletcher32
// on every dataset. Version 1 stores are refused with the command that re-packs them.
inline constexpr const char* kClipStoreFormat = "learner-clips";
inline constexpr int kClipStoreVersion = 2;

// The first kClipStoreUserblock bytes of a version 2 file are HDF5's user block, which HDF5
// leaves alone: `learner pack` writes there a CRC-32 and the length of the rest of the file,
// so that `learner inspect` catches any changed byte, even where HDF5 never looks.
inline constexpr size_t kClipStoreUserblock = 512;
void write_clip_store_digest(const std::string& path);  // after the HDF5 file is closed
enum class DigestCheck { Match, Missing, Mismatch };
// Compares the file with its digest; `problem` says what is wrong (naming the file) unless Match.
DigestCheck check_clip_store_digest(const std::string& path, std::string& problem);

enum class Split { Train, Val, Test };
const char* split_name(Split split);  // "train", "val", "test"

// How scores map to targets, categories and pair labels (SPEC section 2).
struct ScoreSpec {
  float lo = 0.f, hi = 500.f;            // target y = (HS - lo) / (hi - lo)
  bool higher_is_better = true;
  std::vector<float> edges = {180.f, 275.f, 430.f};  // category = #edges <= HS
  float band = -1.f;                     // >= 0: band mode instead of categories
};

struct ScanRecord {
  std::string patient_id;
  std::string scan_id;
  int32_t order = 0;          // position within the patient (scan order)
  std::string date;           // optional, ISO 8601, "" when unknown
  float score = 0.f;          // the health score HS, in score units
  std::string source_path;    // as written in the manifest
  std::string modality;       // "lus", "mri", ...
  int64_t frames = 0;         // frame count F of this scan
  float fps = 0.f;            // 0 when unknown
  float pixel_spacing = 0.f;  // mm per pixel after resizing, 0 when unknown
  Split split = Split::Train;
};

class ClipStoreReader {
 public:
  // Opens and validates the file (format name and version, required datasets, every value
  // against the declared sizes); throws learner::Error naming the file and what is wrong, and
  // calling the file "damaged" when it cannot have been written so by `learner pack`.
  explicit ClipStoreReader(const std::string& path);
  ~ClipStoreReader();
  ClipStoreReader(const ClipStoreReader&) = delete;
  ClipStoreReader& operator=(const ClipStoreReader&) = delete;

  const std::string& path() const;
  const std::vector<ScanRecord>& scans() const;  // file order
  const ScoreSpec& score_spec() const;
  int channels() const;  // C, 1 or 3
  int height() const;    // H
  int width() const;     // W
  const std::string& created_by() const;   // provenance: "learner", ...
  const std::string& compression() const;  // "deflate" or "none"

  // Where scan `scan` starts in the (N, C, H, W) 'frames' dataset, and N: for integrity checks.
  int64_t frame_offset(size_t scan) const;
  int64_t total_frames() const;

  // Reads frames `frame_indices` (each in [0, frames)) of scan `scan` into `out`, laid out
  // as (frame_indices.size(), C, H, W) uint8. Thread-safe (HDF5 serialises internally).
  // A frame whose checksum fails throws learner::Error naming the file, scan id and frame.
  void read_frames(size_t scan, const std::vector<int64_t>& frame_indices, uint8_t* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace learner::data
