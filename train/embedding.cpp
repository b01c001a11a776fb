// Split embedding in eval mode.
#include "train/embedding.h"

#include <cstring>

#include "parallel/communicator.h"
#include "framework/autograd.h"

namespace learner::train {

SplitEmbeddings embed_split(models::PretrainModel& model, std::shared_ptr<const data::FrameSource> source,
                            data::SplitFilter split, int frames, int batch, int workers, Device device,
                            dist::Communicator* comm) {
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
  const bool sharded = comm != nullptr && comm->world_size() > 1;
  if (sharded) {
    options.rank = comm->rank();
    options.world_size = comm->world_size();
  }
  data::Loader loader(source, options);
  const bool was_training = model.training();
  model.eval();
  NoGradGuard no_grad;

  const data::ScoreSpec& spec = source->score_spec();
  std::vector<float> rows;
  int64_t width = 0;
  // Per clip: the embedding row, then [scan, prediction, score, padding] (kept in sharded
  // mode, where every rank must contribute the same number of rows).
  std::vector<float> extra;
  loader.start_epoch(0);
  data::Batch b;
  while (loader.next(b)) {
    const auto result = model.run(b.x.to(device));
    const std::vector<float> u = result.embedding.to_vector(), pred = result.prediction.to_vector();
    width = result.embedding.size(1);
    for (int64_t i = 0; i < b.size(); ++i) {
      if (b.padding[i] && !sharded) continue;
      rows.insert(rows.end(), u.begin() + i * width, u.begin() + (i + 1) * width);
      extra.insert(extra.end(), {static_cast<float>(b.scans[i]), spec.lo + pred[i] * (spec.hi - spec.lo),
                                 b.scores[i], b.padding[i] ? 1.f : 0.f});
    }
  }
  int64_t n = static_cast<int64_t>(extra.size() / 4);
  Tensor embeddings = Tensor::from_vector(rows, {n, width});
  Tensor columns = Tensor::from_vector(extra, {n, 4});
  if (sharded) {  // every rank gets every rank's rows (scan indices are exact in f32 below 2^24)
    embeddings = comm->all_gather(embeddings.to(comm->device())).to(Device::cpu());
    columns = comm->all_gather(columns.to(comm->device())).to(Device::cpu());
    n = columns.size(0);
  }
  const float* c = columns.data<float>();
  const float* e = embeddings.data<float>();
  std::vector<float> kept;
  for (int64_t i = 0; i < n; ++i) {
    if (c[i * 4 + 3] != 0.f) continue;  // a clip repeated to pad a shard
    out.scans.push_back(static_cast<int64_t>(c[i * 4]));
    out.predictions.push_back(c[i * 4 + 1]);
    out.scores.push_back(c[i * 4 + 2]);
    kept.insert(kept.end(), e + i * width, e + (i + 1) * width);
  }
  out.embeddings = Tensor::from_vector(kept, {static_cast<int64_t>(out.scans.size()), width});
  model.train(was_training);
  return out;
}

}  // namespace learner::train
