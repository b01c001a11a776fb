// Full training checkpoints.
#include "train/training_state.h"

#include <cstdio>

#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"

namespace learner::train {

namespace {
const char* kOptimizerPrefix = "optimizer.";

int64_t metadata_int(const SafetensorsFile& file, const std::string& path, const std::string& key) {
  auto it = file.metadata.find(key);
  LEARNER_CHECK(it != file.metadata.end(), path, ": not a training checkpoint (no '", key,
                "' in its metadata); --resume needs checkpoints/last.safetensors of a run");
  return std::stoll(it->second);
}
}  // namespace

void save_training_state(const std::string& path, nn::Module& model, optim::Optimizer& optimizer,
                         const RunPosition& position, const std::map<std::string, std::string>& extra) {
  NamedTensors tensors = nn::state_dict(model);
  for (auto& [name, t] : optimizer.state()) tensors.emplace_back(kOptimizerPrefix + name, *t);
  std::map<std::string, std::string> metadata = extra;
  metadata["format"] = "pt";
  metadata["learner.epoch"] = std::to_string(position.epoch);
  metadata["learner.batch"] = std::to_string(position.batch);
  metadata["learner.step"] = std::to_string(position.step);
  metadata["learner.optimizer_steps"] = std::to_string(optimizer.steps_taken());
  metadata["learner.has_best"] = position.has_best ? "1" : "0";
  char best[40];
  std::snprintf(best, sizeof best, "%.17g", position.best_metric);  // round-trips a double
  metadata["learner.best_metric"] = best;
  write_safetensors(path, tensors, metadata);
}

RunPosition load_training_state(const std::string& path, nn::Module& model, optim::Optimizer& optimizer) {
  const SafetensorsFile file = read_safetensors(path);
  RunPosition position;
  position.epoch = metadata_int(file, path, "learner.epoch");
  position.batch = metadata_int(file, path, "learner.batch");
  position.step = metadata_int(file, path, "learner.step");
  position.has_best = metadata_int(file, path, "learner.has_best") != 0;
  position.best_metric = std::stod(file.metadata.at("learner.best_metric"));

  SafetensorsFile model_part;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind(kOptimizerPrefix, 0) != 0) model_part.tensors.emplace_back(name, t);
  nn::load_state_dict(model, model_part, "", path);

  for (auto& [name, target] : optimizer.state()) {
    const Tensor* found = file.find(kOptimizerPrefix + name);
    LEARNER_CHECK(found != nullptr, path, ": optimizer state '", name,
                  "' is missing (was the run started with another --optimizer?)");
    LEARNER_CHECK(found->shape() == target->shape(), path, ": optimizer state '", name, "' has ",
                  shape_str(found->shape()), ", expected ", shape_str(target->shape()));
    copy_bytes(target->raw_data(), target->device(), found->raw_data(), found->device(), found->nbytes());
  }
  optimizer.set_steps_taken(metadata_int(file, path, "learner.optimizer_steps"));
  return position;
}

}  // namespace learner::train
