// The stage-1 training loop.
#include "train/pretrain.h"

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <memory>

#include "data/labels.h"
#include "parallel/communicator.h"
#include "parallel/grad_sync.h"
#include "parallel/sync_batchnorm.h"
#include "data/loader.h"
#include "framework/ops.h"
#include "framework/optim/no_decay.h"
#include "framework/optim/optimizer.h"
#include "framework/optim/schedule.h"
#include "base/runtime.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "train/embedding.h"
#include "train/metrics.h"
#include "train/pretrain_step.h"
#include "train/pretrained.h"
#include "train/progress.h"
#include "train/run_folder.h"
#include "train/stop_signal.h"
#include "train/training_state.h"

namespace learner::train {

namespace {

// Fig. 1 pairs kept per split: enough for a stable Spearman, small enough for a JSON file.
constexpr int64_t kMaxAnalysisPairs = 20000;

void check_options(const PretrainOptions& o) {
  LEARNER_CHECK(!o.data.empty(), "pretrain: --data FILE.h5 is required (make one with `learner pack`)");
  LEARNER_CHECK(!o.out.empty(), "pretrain: --out DIR is required (the run folder)");
  LEARNER_CHECK(o.frames > 0, "pretrain: --frames must be positive, got ", o.frames);
  LEARNER_CHECK(o.batch >= 2, "pretrain: --batch must be at least 2 (mining compares clips), got ", o.batch);
  LEARNER_CHECK(o.epochs > 0, "pretrain: --epochs must be positive, got ", o.epochs);
  LEARNER_CHECK(o.max_steps >= 0, "pretrain: --steps must be >= 0, got ", o.max_steps);
  LEARNER_CHECK(o.save_every >= 0, "pretrain: --save-every must be >= 0, got ", o.save_every);
  LEARNER_CHECK(o.lr > 0 && std::isfinite(o.lr), "pretrain: --lr must be a positive number, got ", o.lr);
  LEARNER_CHECK(o.lambda >= 0 && std::isfinite(o.lambda), "pretrain: --lambda must be >= 0, got ", o.lambda);
  LEARNER_CHECK(o.eps_w > 0, "pretrain: --eps-w must be positive, got ", o.eps_w);
  LEARNER_CHECK(o.momentum >= 0 && o.momentum < 1, "pretrain: --momentum must be in [0, 1), got ", o.momentum);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const PretrainOptions& o, nn::Module& model) {
  if (o.optimizer == OptimizerKind::SGD) {
    optim::SgdOptions s;
    s.lr = o.lr;
    s.momentum = o.momentum;
    s.weight_decay = o.weight_decay;
    return std::make_unique<optim::Sgd>(model.parameters(), s);
  }
  optim::AdamOptions a;  // SPEC section 7: beta 0.9/0.999, eps 1e-8
  a.lr = o.lr;
  a.weight_decay = o.weight_decay;
  if (o.optimizer == OptimizerKind::AdamW) {
    // Decoupled decay, not on norms, biases, embeddings or tokens (framework/optim/no_decay.h).
    a.decay = optim::WeightDecay::Decoupled;
    return std::make_unique<optim::Adam>(model.parameters(), a, optim::weight_decay_flags(model.named_parameters()));
  }
  return std::make_unique<optim::Adam>(model.parameters(), a);
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + ids[i];
  return out;
}

// Score MAE and the Spearman correlation between embedding cosine distance and |HS
// difference| (paper Fig. 1) over one split.
struct SplitMetrics {
  nlohmann::json values;
  EmbeddingAnalysis analysis;
  bool empty = true;
};

SplitMetrics evaluate_split(models::PretrainModel& model, const std::shared_ptr<const data::FrameSource>& source,
                            data::SplitFilter split, const PretrainOptions& o, Device device, uint64_t seed,
                            dist::Communicator& comm) {
  SplitMetrics m;
  const SplitEmbeddings e = embed_split(model, source, split, o.frames, o.batch, o.workers, device, &comm);
  if (e.scans.empty()) return m;
  m.empty = false;
  m.analysis = embedding_analysis(e.embeddings, e.scores, kMaxAnalysisPairs, seed);
  m.values = {{"mae", mean_absolute_error(e.predictions, e.scores)}, {"clips", e.scans.size()}};
  if (std::isfinite(m.analysis.spearman)) m.values["spearman"] = m.analysis.spearman;
  return m;
}

}  // namespace

const std::map<std::string, LossKind>& loss_words() {
  static const std::map<std::string, LossKind> words = {
      {"mse", LossKind::MSE}, {"cl", LossKind::MSE_CL}, {"wcl", LossKind::MSE_WCL}};
  return words;
}
const std::map<std::string, Similarity>& similarity_words() {
  static const std::map<std::string, Similarity> words = {{"cos", Similarity::Cos}, {"l2", Similarity::L2}};
  return words;
}
const std::map<std::string, models::Backbone>& backbone_words() {
  static const std::map<std::string, models::Backbone> words = {
      {"tsm", models::Backbone::TSM},           {"resnet2d", models::Backbone::ResNet2D},
      {"vit-tiny", models::Backbone::ViTTiny},  {"vit-small", models::Backbone::ViTSmall},
      {"vit-base", models::Backbone::ViTBase},
      {"videomae-tiny", models::Backbone::VideoMAETiny},
      {"videomae-small", models::Backbone::VideoMAESmall},
      {"videomae-base", models::Backbone::VideoMAEBase},
      {"timesformer-tiny", models::Backbone::TimeSformerTiny},
      {"timesformer-base", models::Backbone::TimeSformerBase},
      {"swin-tiny", models::Backbone::SwinTiny}};
  return words;
}
const std::map<std::string, OptimizerKind>& optimizer_words() {
  static const std::map<std::string, OptimizerKind> words = {
      {"adam", OptimizerKind::Adam}, {"adamw", OptimizerKind::AdamW}, {"sgd", OptimizerKind::SGD}};
  return words;
}
const std::map<std::string, data::Sampling>& sampling_words() {
  static const std::map<std::string, data::Sampling> words = {
      {"random", data::Sampling::Train}, {"center", data::Sampling::Eval}};
  return words;
}

namespace {

// The word of `value` in one of the tables above.
template <typename E>
std::string word_of(const std::map<std::string, E>& words, E value) {
  for (const auto& [word, v] : words)
    if (v == value) return word;
  LEARNER_ASSERT(false, "a choice value without a word");
  return "";
}

}  // namespace

std::string to_config_json(const PretrainOptions& o) {
  nlohmann::json j = {
      {"data", o.data}, {"out", o.out}, {"loss", word_of(loss_words(), o.loss)},
      {"sim", word_of(similarity_words(), o.similarity)}, {"lambda", o.lambda}, {"eps-w", o.eps_w},
      {"backbone", word_of(backbone_words(), o.backbone)}, {"frames", o.frames},
      {"batch", o.batch}, {"epochs", o.epochs}, {"steps", o.max_steps}, {"save-every", o.save_every}, {"lr", o.lr},
      {"warmup-steps", o.warmup_steps}, {"optimizer", word_of(optimizer_words(), o.optimizer)},
      {"momentum", o.momentum}, {"weight-decay", o.weight_decay}, {"seed", o.seed}, {"device", o.device},
      {"init", o.init}, {"shuffle", o.shuffle}, {"augment", o.augment},
      {"sampling", word_of(sampling_words(), o.sampling)}, {"workers", o.workers}, {"validate", o.validate},
      {"bucket-mb", o.bucket_mb}, {"sync-bn", o.sync_bn}};
  return j.dump(2);
}

int run_pretrain(const PretrainOptions& o) {
  check_options(o);
  // One process per rank under a launcher; a world of one otherwise.
  std::unique_ptr<dist::Communicator> comm = dist::make_communicator(device_from_flag(o.device));
  const Device device = comm->device();
  auto source = std::make_shared<data::ClipStoreSource>(o.data);
  // Rank 0 alone owns the run folder; all ranks learn whether it could, so that a refusal
  // there ends every rank at once rather than leaving them waiting in a collective.
  std::unique_ptr<RunFolder> folder_owner;
  std::string folder_error;
  try {
    folder_owner = std::make_unique<RunFolder>(o.out, o.resume ? FolderMode::Resume : FolderMode::Fresh, comm->is_root());
    if (!o.resume) folder_owner->write_config(to_config_json(o));
  } catch (const Error& e) {
    folder_error = e.what();
  }
  if (dist::sum_over_ranks({folder_error.empty() ? 0.0 : 1.0}, *comm)[0] > 0 && folder_error.empty())
    folder_error = "rank 0 could not set up the run folder '" + o.out + "' (its message says why)";
  LEARNER_CHECK(folder_error.empty(), folder_error);
  RunFolder& folder = *folder_owner;

  data::LoaderOptions train_options = data::LoaderOptions::training();
  train_options.batch_size = o.batch;
  train_options.frames = o.frames;
  train_options.seed = o.seed;
  train_options.shuffle = o.shuffle;
  train_options.augment = o.augment;
  train_options.sampling = o.sampling;
  train_options.workers = o.workers;
  train_options.rank = comm->rank();
  train_options.world_size = comm->world_size();
  // A last batch of 1 clip has no pairs to mine, and a smaller one mines differently: training
  // batches are always full (the few clips left over join the next epoch's shuffle).
  train_options.drop_last = true;
  data::Loader train_loader(source, train_options);
  LEARNER_CHECK(train_loader.batches_per_epoch() > 0, o.data, ": the training split has ",
                train_loader.split_scans().size(), " scans, fewer than --batch ", o.batch,
                "; use a smaller --batch or pack with a larger train fraction (--split)");

  int64_t val_scans = 0;
  for (const auto& scan : source->scans()) val_scans += scan.split == data::Split::Val;
  const bool validating = o.validate && val_scans > 0;

  Generator init_gen(o.seed);
  models::EncoderOptions encoder_options;
  encoder_options.backbone = o.backbone;
  encoder_options.frames = o.frames;
  encoder_options.in_channels = source->channels();
  encoder_options.image_height = source->height();
  encoder_options.image_width = source->width();
  models::PretrainModel model(encoder_options, init_gen);
  if (!o.init.empty() && !o.resume) models::init_encoder(o.init, *model.encoder);
  model.to(device);
  model.train();
  // One rank's batch statistics are the global batch's already: plain BatchNorm2d keeps its
  // bits (the sync path computes the same statistics another way).
  if (o.sync_bn && comm->world_size() > 1) {
    dist::Communicator* c = comm.get();
    model.apply([c](nn::Module& m) {
      if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m))
        bn->set_norm_function([c](const Tensor& x, const Tensor& w, const Tensor& b, Tensor& mean, Tensor& var,
                                  bool training, float momentum, float eps) {
          return dist::sync_batch_norm2d(x, w, b, mean, var, training, momentum, eps, *c);
        });
    });
  }
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(o, model);
  dist::GradientSync gradient_sync(*comm, model.parameters(), o.bucket_mb);
  PretrainStepParts step_parts{model, *optimizer, *comm, gradient_sync, o.loss, o.similarity, o.lambda, o.eps_w};

  const int64_t steps_per_epoch = train_loader.batches_per_epoch();
  optim::CosineSchedule schedule{o.lr, steps_per_epoch * o.epochs, o.warmup_steps, 0.f};
  const int64_t last_step = o.max_steps > 0 ? std::min<int64_t>(o.max_steps, schedule.total_steps) : schedule.total_steps;

  RunPosition position;
  if (o.resume) {
    position = load_training_state(folder.checkpoint_path("last"), model, *optimizer);
    folder.truncate_metrics_after(position.step);
    folder.log(str("resumed from ", folder.checkpoint_path("last"), " at epoch ", position.epoch, ", batch ",
                   position.batch, ", step ", position.step));
  }
  // Every rank starts from rank 0's weights and buffers (identical already when every rank
  // initialised from the same seed or loaded the same checkpoint; this makes it certain).
  dist::broadcast_module(model, *comm);
  folder.log(str("pretrain: ", comm->describe(), "; ", source->scans().size(), " scans in ", o.data, "; ",
                 train_loader.split_scans().size(), " train, ", val_scans, " val; ",
                 steps_per_epoch, " steps/epoch, ", last_step, " steps on ", device.str()));

  auto save_last = [&] {
    if (comm->is_root()) save_training_state(folder.checkpoint_path("last"), model, *optimizer, position);
  };
  // All ranks stop at the same step: a signal seen by any rank stops every rank.
  auto any_rank_stopping = [&] {
    return dist::sum_over_ranks({stop_requested() ? 1.0 : 0.0}, *comm)[0] > 0;
  };

  install_stop_handlers();
  Progress progress("pretrain", last_step);
  const auto start = std::chrono::steady_clock::now();
  int64_t clips_seen = 0;
  while (position.epoch < o.epochs && position.step < last_step) {
    train_loader.start_epoch(position.epoch);
    data::Batch batch;
    for (int64_t skip = 0; skip < position.batch; ++skip) train_loader.next(batch);  // resume mid-epoch
    while (position.step < last_step && train_loader.next(batch)) {
      optimizer->set_lr(schedule.lr_at(position.step));
      const StepResult r = train_step(step_parts, batch.x.to(device), batch.y.to(device));
      LEARNER_CHECK(r.loss_finite(), "pretrain: the loss is ", r.loss, " at step ", position.step, " (epoch ",
                    position.epoch, ", batch ", batch.index, "; scans ", joined(batch.scan_ids),
                    "); the last good checkpoint is ", folder.checkpoint_path("last"),
                    ". Lower --lr or check those scans");
      LEARNER_CHECK(r.gradients_finite, "pretrain: a gradient is NaN or Inf at step ", position.step,
                    " (scans ", joined(batch.scan_ids), "); the last good checkpoint is ",
                    folder.checkpoint_path("last"), ". Lower --lr or check those scans");
      ++position.step;
      ++position.batch;
      clips_seen += batch.size() * comm->world_size();

      nlohmann::json values = {{"loss", r.loss}, {"mse", r.mse}, {"lr", optimizer->lr()}};
      if (r.has_cl) values["cl"] = r.cl;
      folder.log_metrics(position.step, position.epoch, "train", values);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (comm->is_root()) progress.update(position.step, str("epoch ", position.epoch, "  loss ", r.loss, "  ",
                                         static_cast<int>(clips_seen / std::max(seconds, 1e-9)), " clips/s"));
      if (o.save_every > 0 && position.step % o.save_every == 0) save_last();
      if (any_rank_stopping()) {
        progress.finish();
        save_last();
        folder.log(str("stopped by signal ", stop_signal(), " at step ", position.step, "; saved ",
                       folder.checkpoint_path("last"), " (continue with --resume)"));
        // No rank leaves before rank 0 has saved and said so: mpirun ends the rest of a job
        // soon after one rank exits non-zero (odls_base_sigkill_timeout, 1 s by default).
        comm->barrier();
        comm->all_ranks_exit_together();  // every rank saw any_rank_stopping() at this step
        return 128 + (stop_signal() != 0 ? stop_signal() : SIGTERM);
      }
    }
    if (position.step >= last_step && position.batch < steps_per_epoch) break;  // --steps ended mid-epoch
    ++position.epoch;
    position.batch = 0;
    if (validating) {
      const SplitMetrics v = evaluate_split(model, source, data::SplitFilter::Val, o, device, o.seed, *comm);
      folder.log_metrics(position.step, position.epoch - 1, "val", v.values);
      const double mae = v.values["mae"].get<double>();
      folder.log(str("epoch ", position.epoch - 1, ": val MAE ", mae, " (score units), Spearman ",
                     v.values.value("spearman", std::nan("")), " over ", v.values["clips"].get<int64_t>(), " clips"));
      if (!position.has_best || mae < position.best_metric) {
        position.best_metric = mae;
        position.has_best = true;
        if (comm->is_root())
          models::save_module(folder.checkpoint_path("best"), model, {{"learner.val_mae", std::to_string(mae)}});
      }
    }
    save_last();
  }
  progress.finish();
  save_last();
  if (!position.has_best && comm->is_root()) models::save_module(folder.checkpoint_path("best"), model);
  comm->barrier();  // best.safetensors is complete before any rank reads it
  // The test split, with the best checkpoint: score MAE and the Fig. 1 analysis.
  models::load_module(folder.checkpoint_path("best"), model);
  const SplitMetrics test = evaluate_split(model, source, data::SplitFilter::Test, o, device, o.seed, *comm);
  if (!test.empty) {
    folder.log_metrics(position.step, position.epoch, "test", test.values);
    if (comm->is_root())
      write_file_atomic(folder.file("embedding_analysis.json"), to_json(test.analysis, "test").dump() + "\n");
    folder.log(str("test (best checkpoint): MAE ", test.values["mae"].get<double>(), ", Spearman(cos distance, |HS diff|) ",
                   test.analysis.spearman, " over ", test.analysis.pairs.size(), " pairs"));
  }
  folder.log(str("pretrain finished at step ", position.step, "; checkpoints in ", folder.path(), "/checkpoints"));
  return 0;
}

}  // namespace learner::train
