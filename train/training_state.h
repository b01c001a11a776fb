// Checkpoints that hold everything a run needs to continue to the same bits: the model's
// tensors (PyTorch names, so the file is also a plain model checkpoint), the optimizer's
// state under "optimizer.<index>.<field>", and the position in the run as metadata.
// The data order needs no saved RNG: the loader derives every random choice from
// (seed, epoch, position), so (epoch, batch) is the data position.
#pragma once

#include <map>
#include <string>

#include "framework/nn/module.h"
#include "framework/optim/optimizer.h"

namespace learner::train {

struct RunPosition {
  int64_t epoch = 0;        // the epoch in progress
  int64_t batch = 0;        // the next batch of that epoch
  int64_t step = 0;         // optimizer steps taken
  double best_metric = 0;   // the best validation value so far (meaning set by the trainer)
  bool has_best = false;
};

// Writes atomically; `extra` goes into the metadata as well.
void save_training_state(const std::string& path, nn::Module& model, optim::Optimizer& optimizer,
                         const RunPosition& position, const std::map<std::string, std::string>& extra = {});

// Restores model, optimizer and position; every mismatch is an error naming the tensor.
RunPosition load_training_state(const std::string& path, nn::Module& model, optim::Optimizer& optimizer);

}  // namespace learner::train
