// Stage 2 (SPEC section 1, 5, 9): freeze the encoder, embed every scan, build the pairs of
// consecutive scans of each patient per split, train the pair classifier with Adam and
// cross-entropy, select on validation macro F1, and report on the test split.
#pragma once

#include <string>

namespace learner::train {

struct ClassifyOptions {
  std::string run;         // the pretrain run folder; results are added to it
  std::string checkpoint;  // default RUN/checkpoints/best.safetensors
  std::string data;        // default: the run's --data
  int epochs = 100;
  int batch = 32;          // pairs per step
  float lr = 1e-3f;
  uint64_t seed = 0;
  std::string device = "auto";
  int workers = 2;
};

// Writes RUN/checkpoints/classifier.safetensors (encoder.* + classifier.*), RUN/eval.json
// (the test report) and classify_* lines in RUN/metrics.jsonl; prints the test table.
void run_classify(const ClassifyOptions& options);

struct EvalOptions {
  std::string run;
  std::string checkpoint;  // default RUN/checkpoints/classifier.safetensors
  std::string data;        // default: the run's --data
  std::string split = "test";
  std::string json_out;    // default RUN/eval_<split>.json
  std::string device = "auto";
  int workers = 2;
};

// Accuracy, macro F1, per-class precision and recall and the confusion matrix on a split's
// pairs, printed as a table and written as JSON.
void run_eval(const EvalOptions& options);

}  // namespace learner::train
