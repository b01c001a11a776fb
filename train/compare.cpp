// Two groups of runs compared on their test patients (train/compare.h).
#include "train/compare.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "train/pair_results.h"
#include "train/run_folder.h"
#include "train/run_reader.h"

namespace learner::train {

namespace fs = std::filesystem;

PairOutcomes load_group_outcomes(const std::vector<std::string>& dirs, const std::string& group) {
  LEARNER_CHECK(!dirs.empty(), "compare: group '", group, "' has no runs; give at least one run folder");
  PairOutcomes pooled;
  std::set<std::string> first_patients;
  for (size_t i = 0; i < dirs.size(); ++i) {
    const std::string path = (fs::path(dirs[i]) / "eval.json").string();
    const std::optional<nlohmann::json> j = read_json_file(path);
    LEARNER_CHECK(j.has_value(), "compare: run folder ", dirs[i], " (group '", group,
                  "') has no eval.json; run `learner classify --run ", dirs[i], "` first");
    const PairOutcomes o = outcomes_from_eval_json(*j, path);
    LEARNER_CHECK(!o.pairs.empty(), path, ": no test pairs");
    std::set<std::string> patients;
    for (const PairOutcome& p : o.pairs) patients.insert(p.patient);
    if (i == 0) {
      first_patients = patients;
      pooled.num_classes = o.num_classes;
    }
    LEARNER_CHECK(patients == first_patients && o.num_classes == pooled.num_classes, "compare: runs ", dirs[0],
                  " and ", dirs[i], " of group '", group, "' were tested on different patients (", first_patients.size(),
                  " and ", patients.size(), "); pool only runs made from one clip store with one split");
    pooled.pairs.insert(pooled.pairs.end(), o.pairs.begin(), o.pairs.end());
  }
  return pooled;
}

PairedDifference run_compare(const CompareOptions& o) {
  const PairOutcomes a = load_group_outcomes(o.a, o.name_a);
  const PairOutcomes b = load_group_outcomes(o.b, o.name_b);
  const PairedDifference d = paired_difference(a, b, o.name_a, o.name_b, o.bootstrap);
  std::printf("%s\n", verdict_line(d).c_str());
  std::printf("(%lld test patients; %zu run%s in %s, %zu in %s, seeds pooled; %lld paired resamples of patients, "
              "seed %llu, %.0f %% intervals; shown: the interval excludes 0)\n",
              static_cast<long long>(d.num_patients), o.a.size(), o.a.size() == 1 ? "" : "s", o.name_a.c_str(),
              o.b.size(), o.name_b.c_str(), static_cast<long long>(o.bootstrap.resamples),
              static_cast<unsigned long long>(o.bootstrap.seed), 100 * o.bootstrap.level);
  if (!o.json_out.empty()) {
    nlohmann::json j = to_json(d, o.bootstrap);
    j["runs_a"] = o.a;
    j["runs_b"] = o.b;
    write_file_atomic(o.json_out, j.dump(2) + "\n");
  }
  return d;
}

}  // namespace learner::train
