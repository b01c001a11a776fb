// The parity check every transformer backbone shares with its PyTorch reference
// (tests/parity/<reference>_reference.py): the script saves random weights as the reference's
// state_dict with inputs, eval embeddings and float32/float64 gradients; the check loads the
// weights through --init's import and compares the imported weights (1e-6 relative), the eval
// clip embeddings (1e-4 relative) and the gradients of MSE + wCL (cos) against the reference's
// float64 gradients. Relative error: max|ours - theirs| / max|theirs|.
//
// Gradient tolerance: the reference's own float32 error. For each tensor, yardstick = the
// relative distance of the reference's float32 gradient to its float64 gradient; ours (float32
// too, with other summation orders) must be within kParityYardstickFactor times the case's
// largest yardstick. One number per case, measured from the reference, not chosen per tensor.
#pragma once

#include <string>

#include "base/device.h"
#include "models/video_encoder.h"

namespace learner::test {

constexpr double kParityYardstickFactor = 4.0;

struct TransformerReference {
  const char* script;       // in tests/parity/, writes into BUILD/parity_<name>/<case>/
  const char* name;         // "vit", "videomae", "timesformer"
  const char* weights;      // the state_dict file of each case folder, loaded as --init loads it
  const char* stamp;        // the file the script writes last: its output is fresh when newer than the script
  models::Backbone backbone;
  bool needs_timm;          // run scripts/python-deps.sh first (the pinned timm, into .pydeps/)
  bool counts_parameters;   // the reference saved its parameter count as "params"
};

struct ParityCase {
  const char* name;
  int height, width, frames;
};

// Whether the reference's interpreter imports torch: /usr/bin/python3 (Debian's python3-torch,
// which `make deps` installs), or LEARNER_PARITY_PYTHON where that is set.
bool torch_present();

// Writes the reference's data once per build folder (again when the script is newer), then
// checks one case on `device`.
void check_transformer_parity(const TransformerReference& reference, const ParityCase& c, Device device);

}  // namespace learner::test
