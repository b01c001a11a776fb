// `learner embed`: the embeddings and regression outputs of a pretrain checkpoint for every
// scan of a clip store (or one split), written as an HDF5 file that h5py reads directly:
//   embeddings  (N, E) float32      scan_id, patient_id  (N) strings
//   score       (N) float32         prediction           (N) float32, in score units
//   split       (N) strings         attributes: checkpoint, data, backbone, frames
// Rows follow the clip store's file order.
#pragma once

#include <string>

namespace learner::train {

struct EmbedOptions {
  std::string checkpoint;  // a pretrain checkpoint (best/last.safetensors)
  std::string data;        // the clip store
  std::string out;         // the HDF5 file to write (atomically)
  std::string split = "all";
  std::string backbone = "tsm";
  int frames = 8;
  std::string device = "auto";
  int workers = 2;
};

void run_embed(const EmbedOptions& options);

}  // namespace learner::train
