// `learner predict`: new scans through pack's importers, the run's encoder, regression head
// and pair classifier.
#include "train/predict.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "data/labels.h"
#include "data/manifest.h"
#include "data/pack.h"
#include "framework/nn/state_dict.h"
#include "framework/safetensors.h"
#include "train/embedding.h"
#include "train/metrics.h"
#include "train/pair_model.h"
#include "train/run_folder.h"

namespace learner::train {
namespace {

namespace fs = std::filesystem;

// Two files given on the command line as a manifest of one patient, without scores.
data::Manifest manifest_of_scans(const std::vector<std::string>& scans) {
  LEARNER_CHECK(scans.size() == 2, "predict: --scans takes two files of one patient, the earlier first; got ",
                scans.size());
  LEARNER_CHECK(fs::path(scans[0]).lexically_normal() != fs::path(scans[1]).lexically_normal(),
                "predict: --scans names '", scans[0], "' twice; give two different scans");
  data::Manifest m;
  m.path = "--scans";
  for (size_t i = 0; i < 2; ++i) {
    LEARNER_CHECK(fs::exists(scans[i]), "predict: --scans: '", scans[i], "' does not exist");
    data::ManifestRow row;
    row.line = static_cast<int>(i + 1);  // the position on the command line, in messages
    row.record.patient_id = "patient";
    // The file names, unless both are the same (e.g. two folders' scan.dcm): then the paths.
    const std::string a = fs::path(scans[0]).filename().string(), b = fs::path(scans[1]).filename().string();
    row.record.scan_id = a != b && !a.empty() && !b.empty() ? fs::path(scans[i]).filename().string() : scans[i];
    row.record.order = static_cast<int32_t>(i + 1);
    row.record.source_path = row.resolved_path = scans[i];
    row.has_score = false;
    m.rows.push_back(row);
  }
  return m;
}

// Encoder tensors of the classifier file must be the pretrain checkpoint's, or the regression
// head would read embeddings it was not trained on.
void check_same_encoder(const SafetensorsFile& classifier_file, const std::string& classifier_path,
                        const SafetensorsFile& pretrain_file, const std::string& pretrain_path) {
  for (const auto& [name, t] : classifier_file.tensors) {
    if (name.rfind("encoder.", 0) != 0) continue;
    const Tensor* other = pretrain_file.find(name);
    const bool same = other != nullptr && other->dtype() == t.dtype() && other->nbytes() == t.nbytes() &&
                      std::memcmp(other->raw_data(), t.raw_data(), t.nbytes()) == 0;
    LEARNER_CHECK(same, classifier_path, " was trained on another encoder than ", pretrain_path, " (tensor '", name,
                  "' differs); pass --pretrain-checkpoint with the checkpoint `learner classify` used");
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string number(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

nlohmann::json to_json(const Predictions& p, const PredictOptions& o, const data::ScoreSpec& spec,
                       const std::string& checkpoint, const std::string& pretrain_checkpoint) {
  const std::vector<std::string>& names = pair_class_names();
  nlohmann::json scans = nlohmann::json::array(), pairs = nlohmann::json::array();
  for (const PredictedScan& s : p.scans) {
    scans.push_back({{"patient", s.patient}, {"scan", s.scan}, {"order", s.order}, {"path", s.path},
                     {"frames", s.frames}, {"predicted_score", s.predicted_score},
                     {"score", s.score ? nlohmann::json(*s.score) : nlohmann::json()}});
  }
  for (const PredictedPair& q : p.pairs) {
    nlohmann::json probabilities;
    for (size_t c = 0; c < names.size(); ++c) probabilities[names[c]] = q.probabilities[c];
    pairs.push_back({{"patient", q.patient}, {"first_scan", q.first_scan}, {"second_scan", q.second_scan},
                     {"predicted_change", names[static_cast<size_t>(q.prediction)]},
                     {"probabilities", probabilities}, {"embedding_distance", q.embedding_distance},
                     {"first_predicted_score", q.first_predicted_score},
                     {"second_predicted_score", q.second_predicted_score},
                     {"change", q.label ? nlohmann::json(names[static_cast<size_t>(*q.label)]) : nlohmann::json()}});
  }
  return {{"run", o.run},
          {"checkpoint", checkpoint},
          {"pretrain_checkpoint", pretrain_checkpoint},
          {"input", o.manifest.empty() ? nlohmann::json(o.scans) : nlohmann::json(o.manifest)},
          {"score_range", {spec.lo, spec.hi}},
          {"higher_is_better", spec.higher_is_better},
          {"embedding_distance", "cosine"},
          {"scans", scans},
          {"pairs", pairs}};
}

}  // namespace

std::string predictions_csv(const Predictions& p) {
  const std::vector<std::string>& names = pair_class_names();
  std::map<std::string, const PredictedScan*> scan_of;
  for (const PredictedScan& s : p.scans) scan_of[s.scan] = &s;
  auto score = [&](const std::string& id) {
    const PredictedScan* s = scan_of.at(id);
    return s->score ? number(*s->score, 1) : std::string();
  };
  std::ostringstream out;
  out << "patient_id,first_scan,second_scan,predicted_change,p_improved,p_same,p_deteriorated,embedding_distance,"
         "first_predicted_score,second_predicted_score,first_score,second_score,change\n";
  for (const PredictedPair& q : p.pairs) {
    out << csv_field(q.patient) << ',' << csv_field(q.first_scan) << ',' << csv_field(q.second_scan) << ','
        << names[static_cast<size_t>(q.prediction)];
    for (float v : q.probabilities) out << ',' << number(v, 4);
    out << ',' << number(q.embedding_distance, 6) << ',' << number(q.first_predicted_score, 1) << ','
        << number(q.second_predicted_score, 1) << ',' << score(q.first_scan) << ',' << score(q.second_scan) << ','
        << (q.label ? names[static_cast<size_t>(*q.label)] : std::string()) << '\n';
  }
  return out.str();
}

Predictions run_predict(const PredictOptions& o) {
  LEARNER_CHECK(o.manifest.empty() != o.scans.empty(), "predict: give either --manifest NEW.csv or --scans A B");
  LEARNER_CHECK(o.manifest.empty() || !o.out.empty(), "predict: --manifest needs --out DIR for the predictions");
  LEARNER_CHECK(o.out.empty() || !fs::exists(o.out) || fs::is_directory(o.out), "predict: --out '", o.out,
                "' is a file; give a folder");
  const nlohmann::json config = read_run_config(o.run);
  const EncoderSpec spec = encoder_spec_of_run(config, o.run);
  const std::string checkpoint = o.checkpoint.empty() ? o.run + "/checkpoints/classifier.safetensors" : o.checkpoint;
  const std::string pretrain_checkpoint =
      o.pretrain_checkpoint.empty() ? o.run + "/checkpoints/best.safetensors" : o.pretrain_checkpoint;
  LEARNER_CHECK(fs::is_regular_file(checkpoint), "predict: ", o.run, " has no pair classifier (", checkpoint,
                " is missing): run `learner classify --run ", o.run, "` first, or pass --checkpoint");
  LEARNER_CHECK(fs::is_regular_file(pretrain_checkpoint), "predict: ", o.run, " has no pretrain checkpoint (",
                pretrain_checkpoint, " is missing), whose regression head gives the scores; pass --pretrain-checkpoint");

  // The run's clip store fixes how new files are decoded and what the scores mean.
  const std::string store_path = o.data.empty() ? config.value("data", "") : o.data;
  LEARNER_CHECK(!store_path.empty(), o.run, "/config.json names no clip store; pass --data with the store the run was trained on");
  data::DecodeOptions decode = o.decode;
  data::ScoreSpec score_spec;
  try {
    const data::ClipStoreReader store(store_path);
    decode.size = store.width();
    decode.channels = store.channels();
    score_spec = store.score_spec();
  } catch (const Error& e) {
    throw Error(str("predict: cannot read the run's clip store (it gives the frame size, channels and score range): ",
                    e.what(), "; pass --data with the store the run was trained on"));
  }

  data::Manifest manifest = o.manifest.empty() ? manifest_of_scans(o.scans)
                                                : data::read_manifest(o.manifest, false, data::ScoreColumn::Optional);
  data::check_manifest_scores(manifest, score_spec);
  LEARNER_CHECK(!manifest.rows.empty(), manifest.path, " lists no scans");
  for (const std::string& c : manifest.ignored_columns)
    std::fprintf(stderr, "predict: note: ignored manifest column '%s'\n", c.c_str());

  // The models before the files: a bad checkpoint fails before minutes of decoding.
  const Device device = device_from_flag(o.device);
  const SafetensorsFile classifier_file = read_safetensors(checkpoint);
  const SafetensorsFile pretrain_file = read_safetensors(pretrain_checkpoint);
  check_same_encoder(classifier_file, checkpoint, pretrain_file, pretrain_checkpoint);
  TrainedPairModel trained = load_pair_model(checkpoint, spec, decode.channels, decode.size, decode.size, device);
  nn::load_state_dict(*trained.model->head, pretrain_file, "head.", pretrain_checkpoint);
  trained.model->to(device);

  auto source = data::decode_manifest(manifest, decode, score_spec, o.workers);
  const SplitEmbeddings all = embed_split(*trained.model, source, data::SplitFilter::All, spec.frames, 16, o.workers, device);
  std::vector<int64_t> row_of(source->scans().size(), -1);
  for (size_t r = 0; r < all.scans.size(); ++r) row_of[static_cast<size_t>(all.scans[r])] = static_cast<int64_t>(r);

  Predictions p;
  for (size_t i = 0; i < source->scans().size(); ++i) {
    const data::ScanRecord& r = source->scans()[i];
    LEARNER_ASSERT(row_of[i] >= 0, "scan without an embedding");
    PredictedScan s;
    s.patient = r.patient_id;
    s.scan = r.scan_id;
    s.path = r.source_path;
    s.order = r.order;
    s.frames = r.frames;
    s.predicted_score = all.predictions[static_cast<size_t>(row_of[i])];
    if (manifest.rows[i].has_score) s.score = r.score;
    p.scans.push_back(s);
  }
  const std::vector<data::ScanPair> pairs = data::consecutive_pairs(source->scans(), data::Split::Test, score_spec);
  LEARNER_CHECK(!pairs.empty(), manifest.path,
                ": no patient has two scans; predict compares consecutive scans of one patient (rows with the same "
                "patient_id and different order)");
  const int64_t width = all.embeddings.size(1);
  const float* u = all.embeddings.data<float>();
  std::vector<float> features;
  for (const data::ScanPair& q : pairs) {
    const float* a = u + row_of[q.first] * width;
    const float* b = u + row_of[q.second] * width;
    append_pair_features(features, a, b, width);
    PredictedPair out;
    out.patient = source->scans()[q.first].patient_id;
    out.first_scan = source->scans()[q.first].scan_id;
    out.second_scan = source->scans()[q.second].scan_id;
    out.embedding_distance = cosine_distance(a, b, width);
    out.first_predicted_score = p.scans[q.first].predicted_score;
    out.second_predicted_score = p.scans[q.second].predicted_score;
    if (manifest.rows[q.first].has_score && manifest.rows[q.second].has_score) out.label = static_cast<int64_t>(q.label);
    p.pairs.push_back(out);
  }
  const int64_t n = static_cast<int64_t>(p.pairs.size());
  const std::vector<PairOutput> outputs =
      classify_pair_features(*trained.classifier, Tensor::from_vector(features, {n, 3 * width}, device));
  for (int64_t i = 0; i < n; ++i) {
    p.pairs[static_cast<size_t>(i)].prediction = outputs[static_cast<size_t>(i)].prediction;
    p.pairs[static_cast<size_t>(i)].probabilities = outputs[static_cast<size_t>(i)].probabilities;
  }

  if (!o.out.empty()) {  // every check has passed: only now does anything get written
    fs::create_directories(o.out);
    write_file_atomic(o.out + "/predictions.csv", predictions_csv(p));
    write_file_atomic(o.out + "/predictions.json",
                      to_json(p, o, score_spec, checkpoint, pretrain_checkpoint).dump(2) + "\n");
  }
  return p;
}

}  // namespace learner::train
