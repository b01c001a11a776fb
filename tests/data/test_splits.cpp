// Patient-level splits: disjoint, sized by the fractions, independent of input order.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "data/splits.h"
#include "base/error.h"

using namespace learner;
using namespace learner::data;

namespace {
std::vector<std::string> patient_list(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("patient-" + std::to_string(i * 7 + 3));
  return ids;
}
}  // namespace

TEST_CASE("splits assign every patient once with the requested sizes") {
  const std::vector<std::string> ids = patient_list(189);
  std::vector<std::string> with_repeats = ids;
  with_repeats.insert(with_repeats.end(), ids.begin(), ids.begin() + 50);  // several scans per patient
  const auto split = split_patients(with_repeats, SplitFractions(), 5);
  REQUIRE(split.size() == ids.size());
  int counts[3] = {0, 0, 0};
  for (const auto& [id, s] : split) ++counts[static_cast<int>(s)];
  CHECK(counts[0] == 104);  // round(0.55 * 189)
  CHECK(counts[1] == 47);   // round(0.25 * 189)
  CHECK(counts[2] == 38);
}

TEST_CASE("splits depend only on the set of patient ids and the seed") {
  std::vector<std::string> ids = patient_list(61);
  const auto reference = split_patients(ids, SplitFractions(), 11);
  std::mt19937 rng(3);
  for (int round = 0; round < 4; ++round) {
    std::shuffle(ids.begin(), ids.end(), rng);
    CHECK(split_patients(ids, SplitFractions(), 11) == reference);
  }
  const auto other_seed = split_patients(ids, SplitFractions(), 12);
  CHECK(other_seed != reference);
  // Adding a patient moves no one else across more than the cut points allow: keys are per id.
  CHECK(patient_split_key("patient-3", 11) == patient_split_key("patient-3", 11));
  CHECK(patient_split_key("patient-3", 11) != patient_split_key("patient-3", 12));
}

TEST_CASE("split fractions are validated") {
  CHECK_THROWS_WITH_AS(split_patients({"a"}, SplitFractions{0.5, 0.3, 0.3}, 0),
                       doctest::Contains("must sum to 1"), Error);
  CHECK_THROWS_WITH_AS(split_patients({"a"}, SplitFractions{1.2, -0.1, -0.1}, 0),
                       doctest::Contains("[0, 1]"), Error);
  const auto all_train = split_patients({"a", "b", "c"}, SplitFractions{1.0, 0.0, 0.0}, 0);
  for (const auto& entry : all_train) CHECK(entry.second == Split::Train);
}
