// `learner cv`: patient-level k-fold cross-validation for small cohorts. Patients are put in
// K folds by the split key of data/splits.h (deterministic from the seed); fold k tests on
// its patients, validates on fold k + 1 (mod K) and trains on the rest, so every patient is
// tested exactly once. Each fold is a pretrain + classify run of its own on a copy of the
// clip store with the fold's split; the study resumes where it stopped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "train/pretrain.h"
#include "train/stage2.h"

namespace learner::train {

// Fold of each patient id: ids sorted by (patient_split_key(id, seed), id), the i-th in that
// order goes to fold i mod K. Needs K >= 3 and at least K distinct patients.
std::map<std::string, int> assign_folds(const std::vector<std::string>& patient_ids, int folds, uint64_t seed);

struct CvOptions {
  std::string data;      // the clip store
  std::string out;       // the study folder
  int folds = 5;
  uint64_t seed = 0;     // fold assignment; the runs use pretrain.seed and classify.seed
  PretrainOptions pretrain;   // data, out and resume are set per fold
  ClassifyOptions classify;   // run and data are set per fold
};

// Runs (or resumes) every fold, then writes OUT/eval.json (all folds' test pairs pooled, in
// the eval.json format, so `compare` takes a study like a run) and OUT/cv.json (per-fold and
// pooled results with intervals), and prints the headlines. A fold whose eval.json exists
// is done; one with a pretrain checkpoint resumes. Returns 0, or pretrain's exit code when
// a signal stopped it (run the same command again to continue).
int run_cv(const CvOptions& options);

}  // namespace learner::train
