// Embedding every scan of a split with a trained model (eval mode, segment centres): the
// input of validation metrics, the paper's Fig. 1 analysis, stage 2 and `learner embed`.
#pragma once

#include <memory>
#include <vector>

#include "data/frame_source.h"
#include "data/loader.h"
#include "models/heads.h"

namespace learner::dist {
class Communicator;
}

namespace learner::train {

struct SplitEmbeddings {
  std::vector<int64_t> scans;     // indices into source.scans(), file order
  Tensor embeddings;              // (N, E) f32 on the CPU
  std::vector<float> predictions; // regression output in score units: lo + y_hat * (hi - lo)
  std::vector<float> scores;      // the true scores HS
};

// Runs `model` in eval mode without a graph over the scans of `split`; restores the
// model's previous mode. An empty split gives empty results. With a communicator of several
// ranks, each rank embeds its shard and every rank receives all results (rank order, the
// shards' padding dropped): the same rows as one process, in another order.
SplitEmbeddings embed_split(models::PretrainModel& model, std::shared_ptr<const data::FrameSource> source,
                            data::SplitFilter split, int frames, int batch, int workers, Device device,
                            dist::Communicator* comm = nullptr);

}  // namespace learner::train
