// TSN segment sampling against SPEC section 7, including clips shorter than T.
#include <cmath>
#include <set>

#include "data/sampling.h"
#include "tests/util/test_util.h"

using namespace learner;
using namespace learner::data;

TEST_CASE("tsn eval indices are the segment centres floor((t + 0.5) * F / T)") {
  for (int64_t F : {1, 3, 7, 8, 9, 16, 37, 101}) {
    for (int T : {1, 3, 8, 11}) {
      const std::vector<int64_t> idx = tsn_indices(F, T, Sampling::Eval);
      REQUIRE(idx.size() == static_cast<size_t>(T));
      for (int t = 0; t < T; ++t) {
        const auto expected = static_cast<int64_t>(std::floor((t + 0.5) * F / T));
        CHECK_MESSAGE(idx[t] == expected, "F=", F, " T=", T, " t=", t);
        CHECK(idx[t] >= 0);
        CHECK(idx[t] < F);
      }
    }
  }
  CHECK(tsn_indices(8, 8, Sampling::Eval) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(tsn_indices(3, 8, Sampling::Eval) == std::vector<int64_t>{0, 0, 0, 1, 1, 2, 2, 2});
  CHECK(tsn_indices(20, 4, Sampling::Eval) == std::vector<int64_t>{2, 7, 12, 17});
}

TEST_CASE("tsn train indices stay inside their segments and cover them") {
  Generator gen(7);
  for (int64_t F : {5, 8, 13, 40}) {
    const int T = 8;
    std::vector<std::set<int64_t>> seen(T);
    for (int draw = 0; draw < 300; ++draw) {
      const std::vector<int64_t> idx = tsn_indices(F, T, Sampling::Train, &gen);
      for (int t = 0; t < T; ++t) {
        const int64_t begin = t * F / T, end = (t + 1) * F / T;
        if (end > begin) {
          CHECK(idx[t] >= begin);
          CHECK(idx[t] < end);
        } else {
          CHECK_MESSAGE(idx[t] == begin, "empty segment takes its start: F=", F, " t=", t);
        }
        seen[t].insert(idx[t]);
      }
    }
    for (int t = 0; t < T; ++t) {  // uniform draws reach every index of the segment
      const int64_t begin = t * F / T, end = (t + 1) * F / T;
      CHECK(static_cast<int64_t>(seen[t].size()) == std::max<int64_t>(1, end - begin));
    }
  }
}

TEST_CASE("tsn train sampling: F = T is the identity, F < T repeats segment starts") {
  Generator gen(3);
  CHECK(tsn_indices(8, 8, Sampling::Train, &gen) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  // F = 3, T = 8: segments [0,0) [0,0) [0,1) [1,1) [1,1) [1,2) [2,2) [2,3)
  CHECK(tsn_indices(3, 8, Sampling::Train, &gen) == std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2});
  CHECK(tsn_indices(1, 5, Sampling::Train, &gen) == std::vector<int64_t>{0, 0, 0, 0, 0});
}

TEST_CASE("tsn train sampling is a function of the generator state") {
  Generator a(11), b(11), c(12);
  const auto ia = tsn_indices(97, 8, Sampling::Train, &a);
  CHECK(ia == tsn_indices(97, 8, Sampling::Train, &b));
  CHECK(ia != tsn_indices(97, 8, Sampling::Train, &c));
  CHECK(derive_seed(1, 2, 3) == derive_seed(1, 2, 3));
  CHECK(derive_seed(1, 2, 3) != derive_seed(1, 3, 2));
  CHECK(derive_seed(1, 2, 3) != derive_seed(2, 2, 3));
}

TEST_CASE("tsn bad use") {
  CHECK_THROWS_WITH_AS(tsn_indices(0, 8, Sampling::Eval),
                       "tsn_indices: a clip needs at least one frame, got 0", Error);
  CHECK_THROWS_AS(tsn_indices(5, 0, Sampling::Eval), Error);
  CHECK_THROWS_WITH_AS(tsn_indices(5, 8, Sampling::Train),
                       "tsn_indices: training sampling needs a generator", Error);
}
