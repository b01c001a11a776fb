// Loading what stage 1 produced: the run's configuration, and a PretrainModel rebuilt with
// the run's backbone and frame count and filled from one of its checkpoints.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "data/frame_source.h"
#include "models/heads.h"

namespace learner::train {

// --device: "auto" (the first GPU when one is present, else the CPU), cpu, cuda, cuda:N.
Device device_from_flag(const std::string& name);

// RUN/config.json as JSON; a clear error when RUN is not a run folder.
nlohmann::json read_run_config(const std::string& run);

struct EncoderSpec {
  models::Backbone backbone = models::Backbone::TSM;
  int frames = 8;
};
// The backbone and frames a run was trained with (its config.json).
EncoderSpec encoder_spec_of_run(const nlohmann::json& config, const std::string& run);

// A PretrainModel for the clips of `source` (its channels and frame size), loaded from
// `checkpoint` (a pretrain checkpoint: encoder.* and head.*; optimizer.* state is ignored),
// moved to `device`.
std::unique_ptr<models::PretrainModel> load_pretrained(const std::string& checkpoint, const EncoderSpec& spec,
                                                       const data::FrameSource& source, Device device);

}  // namespace learner::train
