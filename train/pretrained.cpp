// Stage-1 results, loaded.
#include "train/pretrained.h"

#include <fstream>

#include "models/checkpoint.h"
#include "train/pretrain.h"

namespace learner::train {

Device device_from_flag(const std::string& name) {
  if (name == "auto") return cuda_available() ? Device::cuda(0) : Device::cpu();
  const Device d = parse_device(name);
  LEARNER_CHECK(d.is_cpu() || d.index < cuda_device_count(), "--device ", name, ": ", cuda_device_count(),
                " CUDA device(s) visible; use --device cpu");
  return d;
}

nlohmann::json read_run_config(const std::string& run) {
  const std::string path = run + "/config.json";
  std::ifstream in(path);
  LEARNER_CHECK(in, "'", run, "' is not a run folder (no config.json); give the --out folder of `learner pretrain`");
  nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
  LEARNER_CHECK(!config.is_discarded() && config.is_object(), path, " is not a JSON object (corrupt run folder?)");
  return config;
}

EncoderSpec encoder_spec_of_run(const nlohmann::json& config, const std::string& run) {
  EncoderSpec spec;
  const std::string backbone = config.value("backbone", "tsm");
  const auto word = backbone_words().find(backbone);
  LEARNER_CHECK(word != backbone_words().end(), run, "/config.json: unknown backbone '", backbone, "'");
  spec.backbone = word->second;
  spec.frames = config.value("frames", 8);
  LEARNER_CHECK(spec.frames > 0, run, "/config.json: frames must be positive");
  return spec;
}

std::unique_ptr<models::PretrainModel> load_pretrained(const std::string& checkpoint, const EncoderSpec& spec,
                                                       const data::FrameSource& source, Device device) {
  models::EncoderOptions options;
  options.backbone = spec.backbone;
  options.frames = spec.frames;
  options.in_channels = source.channels();
  options.image_height = source.height();
  options.image_width = source.width();
  auto model = std::make_unique<models::PretrainModel>(options);
  models::load_module(checkpoint, *model);
  model->to(device);
  model->eval();
  return model;
}

}  // namespace learner::train
