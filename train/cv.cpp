// Patient-level k-fold cross-validation (train/cv.h).
#include "train/cv.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "data/clip_store.h"
#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "data/splits.h"
#include "base/error.h"
#include "train/pair_results.h"
#include "train/run_folder.h"
#include "train/run_reader.h"

namespace learner::train {

namespace fs = std::filesystem;

namespace {

// OUT/fold-k/data.h5: a copy of the clip store with /scans/split rewritten for fold k;
// written under a temporary name and renamed, so a half-written copy is never used.
void write_fold_store(const std::string& data, const std::string& path, const std::vector<data::ScanRecord>& scans,
                      const std::map<std::string, int>& fold_of, int k, int folds) {
  if (fs::exists(path)) return;
  const std::string tmp = path + ".tmp";
  fs::copy_file(data, tmp, fs::copy_options::overwrite_existing);
  std::vector<int8_t> split;
  for (const data::ScanRecord& s : scans) {
    const int f = fold_of.at(s.patient_id);
    split.push_back(static_cast<int8_t>(f == k ? data::Split::Test
                                               : f == (k + 1) % folds ? data::Split::Val : data::Split::Train));
  }
  {
    const hid_t file = H5_CHECK(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    const hid_t ds = H5_CHECK(H5Dopen2(file, "scans/split", H5P_DEFAULT));
    const hid_t space = H5_CHECK(H5Dget_space(ds));
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    H5_CHECK(H5Sclose(space));
    LEARNER_CHECK(n == static_cast<hssize_t>(split.size()), data, ": /scans/split has ", n, " entries for ",
                  split.size(), " scans");
    H5_CHECK(H5Dwrite(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, split.data()));
    H5_CHECK(H5Dclose(ds));
    H5_CHECK(H5Fclose(file));
  }
  fs::rename(tmp, path);
}

}  // namespace

std::map<std::string, int> assign_folds(const std::vector<std::string>& patient_ids, int folds, uint64_t seed) {
  LEARNER_CHECK(folds >= 3, "cv: --folds must be at least 3 (a test, a validation and a training fold), got ", folds);
  std::vector<std::pair<uint64_t, std::string>> keyed;
  for (const std::string& id : std::set<std::string>(patient_ids.begin(), patient_ids.end()))
    keyed.emplace_back(data::patient_split_key(id, seed), id);
  LEARNER_CHECK(static_cast<int>(keyed.size()) >= folds, "cv: ", keyed.size(), " patients cannot fill ", folds,
                " folds");
  std::sort(keyed.begin(), keyed.end());
  std::map<std::string, int> fold_of;
  for (size_t i = 0; i < keyed.size(); ++i) fold_of[keyed[i].second] = static_cast<int>(i % folds);
  return fold_of;
}

int run_cv(const CvOptions& o) {
  LEARNER_CHECK(!o.out.empty(), "cv: --out is required");
  parse_class_weights(o.classify.class_weights);  // a bad word stops the study before any work
  std::vector<data::ScanRecord> scans;
  {
    data::ClipStoreReader reader(o.data);
    scans = reader.scans();
  }
  std::vector<std::string> ids;
  for (const data::ScanRecord& s : scans) ids.push_back(s.patient_id);
  const std::map<std::string, int> fold_of = assign_folds(ids, o.folds, o.seed);
  fs::create_directories(o.out);

  std::vector<PairResult> pooled;
  std::vector<int64_t> train_support(pair_class_names().size(), 0);
  nlohmann::json per_fold = nlohmann::json::array();
  std::vector<std::string> lines;
  for (int k = 0; k < o.folds; ++k) {
    const std::string dir = (fs::path(o.out) / ("fold-" + std::to_string(k))).string();
    const std::string store = dir + "/data.h5", run = dir + "/run";
    fs::create_directories(dir);
    write_fold_store(o.data, store, scans, fold_of, k, o.folds);
    if (!fs::exists(run + "/eval.json")) {
      PretrainOptions p = o.pretrain;
      p.data = store;
      p.out = run;
      // A run folder with a checkpoint continues; one stopped before its first save starts again.
      p.resume = fs::exists(run + "/checkpoints/last.safetensors");
      if (!p.resume && fs::exists(run)) fs::remove_all(run);
      std::printf("cv: fold %d of %d: %s pretrain\n", k + 1, o.folds, p.resume ? "resuming" : "starting");
      std::fflush(stdout);
      const int code = run_pretrain(p);
      if (code != 0) {
        std::printf("cv: stopped in fold %d; run the same command again to continue\n", k + 1);
        return code;
      }
      ClassifyOptions c = o.classify;
      c.run = run;
      c.data = store;
      run_classify(c);
    }
    const std::string path = run + "/eval.json";
    const std::optional<nlohmann::json> e = read_json_file(path);
    LEARNER_CHECK(e.has_value(), "cv: fold ", k + 1, " finished without ", path);
    const PairOutcomes o_fold = outcomes_from_eval_json(*e, path);
    std::vector<PairResult> fold_pairs;
    for (const auto& p : e->at("pairs")) {
      PairResult r;
      r.patient = p.at("patient").get<std::string>();
      r.first_scan = p.value("first_scan", "");
      r.second_scan = p.value("second_scan", "");
      r.label = p.at("label").get<int64_t>();
      r.prediction = p.at("prediction").get<int64_t>();
      r.probabilities = p.value("probabilities", std::vector<float>{});
      LEARNER_CHECK(fold_of.count(r.patient) && fold_of.at(r.patient) == k, path, ": patient ", r.patient,
                    " is not in fold ", k + 1, "; was ", o.out, " made from another clip store or seed?");
      fold_pairs.push_back(r);
    }
    const std::vector<int64_t> support = train_support_from_eval_json(*e, path);
    for (size_t c = 0; c < support.size() && c < train_support.size(); ++c) train_support[c] += support[c];
    LEARNER_CHECK(!o_fold.pairs.empty(), path, ": fold ", k + 1, " has no test pairs");
    const HonestReport h = honest_report(fold_pairs, support);
    lines.push_back("fold " + std::to_string(k + 1) + ": " + headline(h, "test"));
    per_fold.push_back({{"fold", k + 1},
                        {"run", run},
                        {"accuracy", h.report.accuracy},
                        {"macro_f1", h.report.macro_f1},
                        {"bootstrap", to_json(h.intervals, h.bootstrap)},
                        {"baselines", to_json(h.baselines, h.report.class_names)}});
    pooled.insert(pooled.end(), fold_pairs.begin(), fold_pairs.end());
  }
  const HonestReport all = honest_report(pooled, train_support);
  const std::string weighting = o.classify.class_weights;
  write_file_atomic((fs::path(o.out) / "eval.json").string(), eval_json(all, pooled, train_support, weighting).dump(2) + "\n");
  nlohmann::json cv = {{"folds", o.folds},
                       {"seed", o.seed},
                       {"data", o.data},
                       {"per_fold", per_fold},
                       {"pooled", {{"accuracy", all.report.accuracy},
                                   {"macro_f1", all.report.macro_f1},
                                   {"bootstrap", to_json(all.intervals, all.bootstrap)},
                                   {"baselines", to_json(all.baselines, all.report.class_names)}}}};
  write_file_atomic((fs::path(o.out) / "cv.json").string(), cv.dump(2) + "\n");
  for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  std::printf("pooled over %d folds: %s\n", o.folds, headline(all, "test").c_str());
  std::printf("written: %s/eval.json, %s/cv.json\n", o.out.c_str(), o.out.c_str());
  return 0;
}

}  // namespace learner::train
