// Split embedding in eval mode.
#include "train/embedding.h"

#include <cstring>

#include "framework/autograd.h"

namespace learner::train {

SplitEmbeddings embed_split(models::PretrainModel& model, std::shared_ptr<const data::FrameSource> source,
                            data::SplitFilter split, int frames, int batch, int workers, Device device) {
  SplitEmbeddings out;
  bool any = false;
  for (const auto& scan : source->scans()) any = any || data::split_matches(split, scan.split);
  if (!any) {  // an empty split (e.g. packed with --split 1,0,0) has nothing to embed
    out.embeddings = Tensor::zeros({0, 0});
    return out;
  }
  data::LoaderOptions options = data::LoaderOptions::evaluation(split);
  options.frames = frames;
  options.batch_size = batch;
  options.workers = workers;
  data::Loader loader(source, options);
  const bool was_training = model.training();
  model.eval();
  NoGradGuard no_grad;

  const data::ScoreSpec& spec = source->score_spec();
  std::vector<float> rows;
  int64_t width = 0;
  loader.start_epoch(0);
  data::Batch b;
  while (loader.next(b)) {
    const auto result = model.run(b.x.to(device));
    const std::vector<float> u = result.embedding.to_vector(), pred = result.prediction.to_vector();
    width = result.embedding.size(1);
    for (int64_t i = 0; i < b.size(); ++i) {
      if (b.padding[i]) continue;
      out.scans.push_back(b.scans[i]);
      out.predictions.push_back(spec.lo + pred[i] * (spec.hi - spec.lo));
      out.scores.push_back(b.scores[i]);
      rows.insert(rows.end(), u.begin() + i * width, u.begin() + (i + 1) * width);
    }
  }
  out.embeddings = Tensor::from_vector(rows, {static_cast<int64_t>(out.scans.size()), width});
  model.train(was_training);
  return out;
}

}  // namespace learner::train
