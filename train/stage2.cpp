// Stage 2: the pair classifier on frozen embeddings, and its evaluation.
#include "train/stage2.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "data/labels.h"
#include "framework/nn/state_dict.h"
#include "framework/ops.h"
#include "framework/ops/weighted_loss.h"
#include "framework/optim/optimizer.h"
#include "train/embedding.h"
#include "train/metrics.h"
#include "train/pair_model.h"
#include "train/pair_results.h"
#include "train/pretrained.h"
#include "train/run_folder.h"
#include "train/run_reader.h"

namespace learner::train {

namespace {

// The features [u_a, u_b, u_b - u_a] (P, 3E) and labels (P) of a split's pairs, with the
// patient and scan ids of each pair.
struct PairSet {
  Tensor features, labels;
  std::vector<int64_t> labels_host;
  std::vector<PairResult> ids;  // patient, first_scan, second_scan and label filled in
  int64_t size() const { return static_cast<int64_t>(labels_host.size()); }
};

std::vector<int64_t> support_of(const std::vector<int64_t>& labels) {
  std::vector<int64_t> support(pair_class_names().size(), 0);
  for (const int64_t l : labels) ++support.at(l);
  return support;
}

PairSet make_pairs(const SplitEmbeddings& all, const data::FrameSource& source, data::Split split, Device device) {
  std::vector<int64_t> row_of(source.scans().size(), -1);
  for (size_t r = 0; r < all.scans.size(); ++r) row_of[all.scans[r]] = static_cast<int64_t>(r);
  const int64_t E = all.embeddings.dim() == 2 ? all.embeddings.size(1) : 0;
  const float* u = all.embeddings.data<float>();
  PairSet set;
  std::vector<float> features;
  for (const data::ScanPair& p : data::consecutive_pairs(source.scans(), split, source.score_spec())) {
    const int64_t a = row_of[p.first], b = row_of[p.second];
    LEARNER_ASSERT(a >= 0 && b >= 0, "pair of scans without embeddings");
    append_pair_features(features, u + a * E, u + b * E, E);
    set.labels_host.push_back(static_cast<int64_t>(p.label));
    const data::ScanRecord& first = source.scans()[p.first];
    PairResult ids;
    ids.patient = first.patient_id;
    ids.first_scan = first.scan_id;
    ids.second_scan = source.scans()[p.second].scan_id;
    ids.label = set.labels_host.back();
    set.ids.push_back(std::move(ids));
  }
  set.features = Tensor::from_vector(features, {set.size(), 3 * E}, device);
  set.labels = Tensor::from_vector(set.labels_host, {set.size()}, device);
  return set;
}

// The pairs' ids with the predicted class (argmax of the logits) and the softmax of the logits.
std::vector<PairResult> predict_pairs(models::PairClassifier& classifier, const PairSet& set) {
  const std::vector<PairOutput> outputs = classify_pair_features(classifier, set.features);
  std::vector<PairResult> out = set.ids;
  for (int64_t i = 0; i < set.size(); ++i) {
    out[i].prediction = outputs[i].prediction;
    out[i].probabilities = outputs[i].probabilities;
  }
  return out;
}

std::vector<int64_t> predict(models::PairClassifier& classifier, const PairSet& set) {
  std::vector<int64_t> out;
  for (const PairResult& p : predict_pairs(classifier, set)) out.push_back(p.prediction);
  return out;
}

std::string data_path(const std::string& given, const nlohmann::json& config, const std::string& run) {
  if (!given.empty()) return given;
  const std::string data = config.value("data", "");
  LEARNER_CHECK(!data.empty(), run, "/config.json names no data file; pass --data FILE.h5");
  return data;
}

// Embeddings of every scan with the run's encoder.
SplitEmbeddings embed_all(models::PretrainModel& model, std::shared_ptr<const data::FrameSource> source,
                          const EncoderSpec& spec, int workers, Device device) {
  return embed_split(model, std::move(source), data::SplitFilter::All, spec.frames, 16, workers, device);
}

}  // namespace

ClassWeights parse_class_weights(const std::string& word) {
  if (word == "none") return ClassWeights::None;
  if (word == "balanced") return ClassWeights::Balanced;
  throw Error(str("classify: --class-weights must be 'none' or 'balanced', got '", word, "'"));
}

const char* class_weights_name(ClassWeights w) { return w == ClassWeights::Balanced ? "balanced" : "none"; }

std::vector<float> class_weights_for(ClassWeights w, const std::vector<int64_t>& support) {
  const size_t k = support.size();
  std::vector<float> weights(k, 1.f);
  if (w == ClassWeights::None) return weights;
  int64_t n = 0;
  for (const int64_t s : support) n += s;
  for (size_t c = 0; c < k; ++c)
    weights[c] = support[c] == 0 ? 0.f
                                 : static_cast<float>(static_cast<double>(n) /
                                                      (static_cast<double>(k) * static_cast<double>(support[c])));
  return weights;
}

PairSampling parse_pair_sampling(const std::string& word) {
  if (word == "uniform") return PairSampling::Uniform;
  if (word == "balanced") return PairSampling::Balanced;
  throw Error(str("classify: --pair-sampling must be 'uniform' or 'balanced', got '", word, "'"));
}

const char* pair_sampling_name(PairSampling s) { return s == PairSampling::Balanced ? "balanced" : "uniform"; }

std::vector<int64_t> epoch_pair_order(PairSampling sampling, const std::vector<int64_t>& labels, uint64_t seed,
                                      int epoch) {
  const int64_t n = static_cast<int64_t>(labels.size());
  Generator gen(seed * 1000003 + static_cast<uint64_t>(epoch));
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (sampling == PairSampling::Uniform) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[gen.randint(i + 1)]);
    return order;
  }
  std::vector<std::vector<int64_t>> members;
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] >= static_cast<int64_t>(members.size())) members.resize(static_cast<size_t>(labels[i] + 1));
    members[static_cast<size_t>(labels[i])].push_back(i);
  }
  std::vector<const std::vector<int64_t>*> present;
  for (const auto& m : members)
    if (!m.empty()) present.push_back(&m);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<int64_t>& pool = *present[static_cast<size_t>(gen.randint(static_cast<int64_t>(present.size())))];
    order[i] = pool[static_cast<size_t>(gen.randint(static_cast<int64_t>(pool.size())))];
  }
  return order;
}

void run_classify(const ClassifyOptions& o) {
  LEARNER_CHECK(o.epochs > 0 && o.batch > 0 && o.lr > 0, "classify: --epochs, --batch and --lr must be positive");
  const ClassWeights weighting = parse_class_weights(o.class_weights);
  const PairSampling sampling = parse_pair_sampling(o.pair_sampling);
  const nlohmann::json config = read_run_config(o.run);
  const EncoderSpec spec = encoder_spec_of_run(config, o.run);
  const Device device = device_from_flag(o.device);
  const std::string checkpoint = o.checkpoint.empty() ? o.run + "/checkpoints/best.safetensors" : o.checkpoint;
  auto source = std::make_shared<data::ClipStoreSource>(data_path(o.data, config, o.run));
  auto model = load_pretrained(checkpoint, spec, *source, device);
  RunFolder folder(o.run, FolderMode::Resume);

  const SplitEmbeddings all = embed_all(*model, source, spec, o.workers, device);
  const PairSet train = make_pairs(all, *source, data::Split::Train, device);
  const PairSet val = make_pairs(all, *source, data::Split::Val, device);
  const PairSet test = make_pairs(all, *source, data::Split::Test, device);
  LEARNER_CHECK(train.size() > 0, source->name(), ": the training split has no pairs of consecutive scans");
  folder.log(str("classify: embedded ", all.scans.size(), " scans with ", checkpoint, "; pairs: ", train.size(),
                 " train, ", val.size(), " val, ", test.size(), " test"));
  const std::vector<int64_t> train_support = support_of(train.labels_host);
  const std::vector<float> weights = class_weights_for(weighting, train_support);
  folder.log(str("classify: training pairs per class (improved, same, deteriorated) ", train_support[0], ", ",
                 train_support[1], ", ", train_support[2], "; class weights ", class_weights_name(weighting), " (",
                 weights[0], ", ", weights[1], ", ", weights[2], "); pair sampling ", pair_sampling_name(sampling)));

  Generator gen(o.seed);
  models::PairClassifier classifier(model->encoder->embedding_width(), gen);
  classifier.to(device);
  optim::AdamOptions adam_options;
  adam_options.lr = o.lr;
  optim::Adam adam(classifier.parameters(), adam_options);

  NamedTensors best;
  double best_f1 = -1;
  int64_t step = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    classifier.train();
    // A fresh order of the training pairs each epoch, from (seed, epoch) alone.
    const std::vector<int64_t> order = epoch_pair_order(sampling, train.labels_host, o.seed, epoch);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t start = 0; start < train.size(); start += o.batch) {
      const int64_t n = std::min<int64_t>(o.batch, train.size() - start);
      const std::vector<int64_t> rows(order.begin() + start, order.begin() + start + n);
      const Tensor index = Tensor::from_vector(rows, {n}, device);
      const Tensor logits = classifier(index_select(train.features, 0, index));
      Tensor loss;
      if (weighting == ClassWeights::None) {
        loss = cross_entropy(logits, index_select(train.labels, 0, index));
      } else {
        std::vector<int64_t> targets;
        for (const int64_t r : rows) targets.push_back(train.labels_host[r]);
        loss = cross_entropy(logits, targets, weights);
      }
      adam.zero_grad();
      loss.backward();
      adam.step();
      loss_sum += loss.item();
      ++batches;
      ++step;
    }
    const ClassificationReport train_report = classification_report(train.labels_host, predict(classifier, train));
    folder.log_metrics(step, epoch, "classify_train",
                       {{"loss", loss_sum / batches}, {"accuracy", train_report.accuracy}, {"macro_f1", train_report.macro_f1}});
    // Selection on validation macro F1; without validation pairs the last epoch is kept.
    double f1 = epoch;
    if (val.size() > 0) {
      const ClassificationReport r = classification_report(val.labels_host, predict(classifier, val));
      folder.log_metrics(step, epoch, "classify_val", {{"accuracy", r.accuracy}, {"macro_f1", r.macro_f1}});
      f1 = r.macro_f1;
    }
    if (f1 > best_f1) {
      best_f1 = f1;
      best.clear();
      for (auto& [name, t] : nn::state_dict(classifier)) best.emplace_back(name, t.clone());
    }
  }
  SafetensorsFile chosen;
  chosen.tensors = best;
  nn::load_state_dict(classifier, chosen, "", "best classifier");

  NamedTensors to_save = nn::state_dict(*model->encoder, "encoder.");
  for (auto& entry : nn::state_dict(classifier)) to_save.push_back(entry);
  const std::string classifier_path = folder.checkpoint_path("classifier");
  write_safetensors(classifier_path, to_save, {{"format", "pt"}, {"learner.encoder_checkpoint", checkpoint}});
  folder.log(str("classify: best validation macro F1 ", val.size() > 0 ? best_f1 : std::nan(""), "; saved ",
                 classifier_path));

  if (test.size() > 0) {
    const std::vector<PairResult> results = predict_pairs(classifier, test);
    const HonestReport h = honest_report(results, train_support);
    folder.log_metrics(step, o.epochs, "classify_test", {{"accuracy", h.report.accuracy}, {"macro_f1", h.report.macro_f1}});
    nlohmann::json e = eval_json(h, results, train_support, class_weights_name(weighting));
    e["pair_sampling"] = pair_sampling_name(sampling);
    write_file_atomic(folder.file("eval.json"), e.dump(2) + "\n");
    folder.log("test pairs:\n" + format_classification_report(h.report));
    folder.log(headline(h, "test"));
  } else {
    folder.log("classify: the test split has no pairs; nothing to report");
  }
}

void run_eval(const EvalOptions& o) {
  const nlohmann::json config = read_run_config(o.run);
  const EncoderSpec spec = encoder_spec_of_run(config, o.run);
  const Device device = device_from_flag(o.device);
  const std::string checkpoint = o.checkpoint.empty() ? o.run + "/checkpoints/classifier.safetensors" : o.checkpoint;
  auto source = std::make_shared<data::ClipStoreSource>(data_path(o.data, config, o.run));
  const data::SplitFilter filter = data::parse_split_filter(o.split);

  // The classifier file holds the frozen encoder (encoder.*) and the classifier (classifier.*).
  TrainedPairModel trained = load_pair_model(checkpoint, spec, source->channels(), source->height(),
                                            source->width(), device);
  models::PairClassifier& classifier = *trained.classifier;

  const SplitEmbeddings all = embed_all(*trained.model, source, spec, o.workers, device);
  std::vector<PairResult> results;
  std::vector<int64_t> train_support(pair_class_names().size(), 0);
  for (data::Split split : {data::Split::Train, data::Split::Val, data::Split::Test}) {
    const PairSet set = make_pairs(all, *source, split, device);
    if (split == data::Split::Train) train_support = support_of(set.labels_host);
    if (!data::split_matches(filter, split) || set.size() == 0) continue;
    const std::vector<PairResult> p = predict_pairs(classifier, set);
    results.insert(results.end(), p.begin(), p.end());
  }
  LEARNER_CHECK(!results.empty(), source->name(), ": split '", o.split, "' has no pairs of consecutive scans");
  const HonestReport h = honest_report(results, train_support);
  std::printf("%s", format_classification_report(h.report).c_str());
  std::printf("%s\n", headline(h, o.split).c_str());
  const std::string out = o.json_out.empty() ? o.run + "/eval_" + o.split + ".json" : o.json_out;
  // The weighting is the classifier's, which only classify knows; eval.json of the run says it.
  std::string weighting = "unknown";
  if (std::optional<nlohmann::json> e = read_json_file(o.run + "/eval.json"))
    weighting = e->value("class_weights", weighting);
  write_file_atomic(out, eval_json(h, results, train_support, weighting).dump(2) + "\n");
  std::printf("written: %s\n", out.c_str());
}

}  // namespace learner::train
