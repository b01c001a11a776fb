// Stage 2 (SPEC section 1, 5, 9): freeze the encoder, embed every scan, build the pairs of
// consecutive scans of each patient per split, train the pair classifier with Adam and
// cross-entropy, select on validation macro F1, and report on the test split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace learner::train {

// How the classifier's cross-entropy weighs the classes. Balanced: w_c = N / (K n_c) over the
// training pairs (inverse class frequency, scikit-learn's "balanced"), so that a rare class
// counts as much in the loss as a frequent one; a class with no training pair gets 0.
enum class ClassWeights { None, Balanced };
ClassWeights parse_class_weights(const std::string& word);   // "none" or "balanced"; Error otherwise
const char* class_weights_name(ClassWeights w);
std::vector<float> class_weights_for(ClassWeights w, const std::vector<int64_t>& train_support);

// How each epoch orders the training pairs. Uniform: every pair once, shuffled. Balanced:
// N draws with replacement, each a class chosen uniformly among those with training pairs,
// then a pair of that class uniformly: rare classes are seen as often as frequent ones.
enum class PairSampling { Uniform, Balanced };
PairSampling parse_pair_sampling(const std::string& word);  // "uniform" or "balanced"; Error otherwise
const char* pair_sampling_name(PairSampling s);
// The epoch's pairs (indices into `labels`), a pure function of (sampling, labels, seed, epoch).
std::vector<int64_t> epoch_pair_order(PairSampling sampling, const std::vector<int64_t>& labels, uint64_t seed,
                                      int epoch);

struct ClassifyOptions {
  std::string run;         // the pretrain run folder; results are added to it
  std::string checkpoint;  // default RUN/checkpoints/best.safetensors
  std::string data;        // default: the run's --data
  int epochs = 100;
  int batch = 32;          // pairs per step
  float lr = 1e-3f;
  uint64_t seed = 0;
  std::string class_weights = "none";  // parse_class_weights
  std::string pair_sampling = "uniform";  // parse_pair_sampling
  std::string device = "auto";
  int workers = 2;
};

// Writes RUN/checkpoints/classifier.safetensors (encoder.* + classifier.*), RUN/eval.json
// (the test report with baselines, patient-bootstrap intervals and every pair's prediction:
// train/pair_results.h) and classify_* lines in RUN/metrics.jsonl; prints the test table.
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
// pairs, with baselines and intervals, printed as a table and a headline and written as JSON
// in the format of eval.json.
void run_eval(const EvalOptions& options);

}  // namespace learner::train
