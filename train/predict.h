// `learner predict`: a trained run (encoder + regression head from pretrain, pair classifier
// from classify) applied to new imaging files. The files go through the importers and
// preprocessing of `learner pack` (data::decode_manifest) at the frame size and channels of
// the clip store the run was trained on; each pair of consecutive scans of a patient gets
// the predicted change, the class probabilities and the embedding distance, each scan its
// predicted health score. Output format: README "Predicting on new scans".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/sources/source.h"

namespace learner::train {

struct PredictOptions {
  std::string run;
  std::string checkpoint;           // default RUN/checkpoints/classifier.safetensors
  std::string pretrain_checkpoint;  // the regression head's (default RUN/checkpoints/best.safetensors)
  std::string data;                 // the run's clip store (default: its config.json "data"): size, channels, scores
  std::string manifest;             // new scans as a manifest (pack's columns, score optional) ...
  std::vector<std::string> scans;   // ... or two files of one patient, earlier first
  std::string out;                  // folder for predictions.csv and predictions.json ("" with scans: print only)
  data::DecodeOptions decode;       // fit, window, slice axis; size and channels come from the run's store
  std::string device = "auto";
  int workers = 2;
};

struct PredictedScan {
  std::string patient, scan, path;
  int order = 0;
  int64_t frames = 0;
  float predicted_score = 0.f;        // regression head, in score units
  std::optional<float> score;         // the manifest's, when given
};

struct PredictedPair {
  std::string patient, first_scan, second_scan;
  int64_t prediction = 0;              // 0 improved, 1 same, 2 deteriorated
  std::vector<float> probabilities;    // in that order
  double embedding_distance = 0;       // cosine distance of the two embeddings
  float first_predicted_score = 0.f, second_predicted_score = 0.f;
  std::optional<int64_t> label;        // from the two manifest scores, when both are given
};

struct Predictions {
  std::vector<PredictedScan> scans;    // manifest order
  std::vector<PredictedPair> pairs;    // by patient, then order
};

// Checks everything before any output: a run folder without its checkpoints, a store that
// cannot be opened, a bad manifest column or row, a missing or corrupt file: learner::Error
// naming the file, row or flag. Writes OUT/predictions.csv and OUT/predictions.json
// (each atomically) when options.out is set.
Predictions run_predict(const PredictOptions& options);

// The tables as written to the files (also what predict prints).
std::string predictions_csv(const Predictions& p);

}  // namespace learner::train
