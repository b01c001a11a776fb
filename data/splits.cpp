// Patient-level splits: a seeded hash orders the unique patient ids, fractions cut the order.
#include "data/splits.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "base/error.h"

namespace learner::data {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

void validate_split_fractions(const SplitFractions& f) {
  for (double x : {f.train, f.val, f.test}) {
    LEARNER_CHECK(std::isfinite(x) && x >= 0.0 && x <= 1.0,
                  "split fractions must each lie in [0, 1], got ", f.train, ",", f.val, ",", f.test);
  }
  LEARNER_CHECK(std::fabs(f.train + f.val + f.test - 1.0) <= 1e-6,
                "split fractions must sum to 1, got ", f.train, "+", f.val, "+", f.test, " = ",
                f.train + f.val + f.test);
}

uint64_t patient_split_key(const std::string& patient_id, uint64_t seed) {
  return splitmix64(fnv1a64(patient_id) ^ splitmix64(seed));
}

std::map<std::string, Split> split_patients(const std::vector<std::string>& patient_ids,
                                            const SplitFractions& fractions, uint64_t seed) {
  validate_split_fractions(fractions);
  const std::set<std::string> unique(patient_ids.begin(), patient_ids.end());
  std::vector<std::pair<uint64_t, std::string>> keyed;
  for (const std::string& id : unique) keyed.emplace_back(patient_split_key(id, seed), id);
  std::sort(keyed.begin(), keyed.end());

  const int64_t n = static_cast<int64_t>(keyed.size());
  const int64_t n_train = std::min<int64_t>(n, std::llround(fractions.train * n));
  const int64_t n_val = std::min<int64_t>(n - n_train, std::llround(fractions.val * n));
  std::map<std::string, Split> out;
  for (int64_t i = 0; i < n; ++i) {
    const Split s = i < n_train ? Split::Train : i < n_train + n_val ? Split::Val : Split::Test;
    out.emplace(keyed[static_cast<size_t>(i)].second, s);
  }
  return out;
}

}  // namespace learner::data
