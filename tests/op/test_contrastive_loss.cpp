// Contrastive loss (CL, wCL; cos, l2): the op against a float64 transcription of SPEC.md
// section 6, gradients, permutation properties, the clamp region, errors, CUDA against CPU.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/contrastive.h"
#include "framework/random.h"
#include "kernels/contrastive_loss.h"
#include "kernels/mining.h"
#include "kernels/pairwise.h"
#include "tests/util/spec_similarity.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// SPEC.md section 6 in float64: sort, split, sum. d is |y_i - y_j| in f32 (the targets' type)
// so that exact ties are the ones the kernels see.
double loss_spec(const std::vector<float>& u, const std::vector<float>& y, int64_t E,
                 ContrastiveKind kind, Similarity sim, double eps_w) {
  const int64_t B = static_cast<int64_t>(y.size()), k = B / 2;
  auto d = [&](int64_t i, int64_t j) { return double(std::fabs(y[i] - y[j])); };
  auto s = [&](int64_t i, int64_t j) { return test::spec_similarity(u, E, i, j, sim); };
  double total = 0;
  for (int64_t i = 0; i < B; ++i) {
    std::vector<int64_t> order;
    for (int64_t j = 0; j < B; ++j)
      if (j != i) order.push_back(j);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return d(i, a) < d(i, b) || (d(i, a) == d(i, b) && a < b);
    });
    for (int64_t p = 0; p < k - 1; ++p) {  // positives
      const int64_t j = order[p];
      total -=
          kind == ContrastiveKind::CL ? std::log(s(i, j)) : std::log(s(i, j)) / (d(i, j) + eps_w);
    }
    for (int64_t p = B - 1 - k; p < B - 1; ++p) {  // negatives
      const int64_t j = order[p];
      total +=
          kind == ContrastiveKind::CL ? std::log(s(i, j)) : std::log(s(i, j) * (d(i, j) + eps_w));
    }
  }
  return total / B;
}

const char* name(ContrastiveKind kind, Similarity sim) {
  if (kind == ContrastiveKind::CL) return sim == Similarity::Cos ? "CL cos" : "CL l2";
  return sim == Similarity::Cos ? "wCL cos" : "wCL l2";
}

std::vector<float> few_levels(std::vector<float> y) {
  for (float& v : y) v = std::floor(v * 5.f) / 5.f;
  return y;
}

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Generator gen(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[gen.randint(i + 1)]);
  return perm;
}

constexpr ContrastiveKind kKinds[] = {ContrastiveKind::CL, ContrastiveKind::WCL};
constexpr Similarity kSims[] = {Similarity::Cos, Similarity::L2};

}  // namespace

TEST_CASE("contrastive_loss matches the spec") {
  for (int64_t B : {2, 3, 8, 64, 257}) {
    for (bool ties : {false, true}) {
      const int64_t E = B < 100 ? 9 : 4;
      Tensor u = test::random_tensor({B, E}, 600 + B);
      std::vector<float> y = test::random_tensor({B}, 601 + B, 0.f, 1.f).to_vector();
      if (ties) y = few_levels(y);
      const std::vector<float> uv = u.to_vector();
      for (ContrastiveKind kind : kKinds) {
        for (Similarity sim : kSims) {
          const float eps_w =
              kind == ContrastiveKind::WCL && B == 8 ? 0.2f : kDefaultContrastiveEps;
          const double ref = loss_spec(uv, y, E, kind, sim, eps_w);
          const float got =
              contrastive_loss(u, Tensor::from_vector(y, {B}), kind, sim, eps_w).item();
          CHECK_MESSAGE(std::fabs(got - ref) <= 1e-5 + 2e-5 * std::fabs(ref), name(kind, sim),
                        " B ", B, " ties ", ties, ": got ", got, ", expected ", ref);
        }
      }
    }
  }
}

TEST_CASE("contrastive_loss with B = 2 is the log-similarity of the one negative pair") {
  Tensor u = test::random_tensor({2, 6}, 3);
  Tensor y = Tensor::from_vector<float>({0.2f, 0.9f}, {2});
  const float s01 = pairwise_similarity(u, Similarity::Cos).to_vector()[1];
  CHECK(contrastive_loss(u, y, ContrastiveKind::CL).item() ==
        doctest::Approx(std::log(s01)).epsilon(1e-6));
  CHECK(contrastive_loss(u, y, ContrastiveKind::WCL).item() ==
        doctest::Approx(std::log(s01 * (0.7f + 0.05f))).epsilon(1e-5));
}

TEST_CASE("contrastive_loss gradients match finite differences") {
  for (ContrastiveKind kind : kKinds) {
    for (Similarity sim : kSims) {
      for (int64_t B : {5, 8}) {
        const int64_t E = B == 5 ? 3 : 6;
        Tensor u = test::random_tensor({B, E}, 700 + B).set_requires_grad(true);
        Tensor y = test::random_tensor({B}, 701 + B, 0.f, 1.f);
        const std::string label = name(kind, sim);
        CAPTURE(label);
        // Some pairs are nearly antipodal (s ~ 0.02 with E = 3), where log s curves fast: a
        // small step keeps the central difference's truncation error below the tolerance.
        test::GradCheck options;
        options.eps = 1e-3f;
        test::check_gradients(
            [&](const std::vector<Tensor>& in) { return contrastive_loss(in[0], y, kind, sim); },
            {u}, options);
      }
    }
  }
}

TEST_CASE("contrastive_loss: permuting the batch permutes the anchor terms, keeps the loss") {
  const int64_t B = 37, E = 11;
  const std::vector<float> u = test::random_tensor({B, E}, 801).to_vector();
  const std::vector<float> y = test::random_tensor({B}, 802, 0.f, 1.f).to_vector();  // distinct
  const std::vector<int64_t> perm = random_permutation(B, 9);
  std::vector<float> up(B * E), yp(B);
  for (int64_t i = 0; i < B; ++i) {
    yp[perm[i]] = y[i];
    for (int64_t e = 0; e < E; ++e) up[perm[i] * E + e] = u[i * E + e];
  }
  for (ContrastiveKind kind : kKinds) {
    for (Similarity sim : kSims) {
      // Kernel level, to see the per-anchor terms.
      auto terms_of = [&](const std::vector<float>& uu, const std::vector<float>& yy) {
        std::vector<float> d(B * B), s(B * B), aux(B * B), norm(B), terms(B), loss(1);
        std::vector<uint8_t> roles(B * B);
        pairwise_abs_diff_cpu(d.data(), yy.data(), 1, B);
        mine_pos_neg_cpu(roles.data(), d.data(), 1, B);
        pairwise_similarity_forward_cpu(s.data(), aux.data(), norm.data(), uu.data(), 1, B, E, sim);
        contrastive_loss_forward_cpu(loss.data(), terms.data(), s.data(), d.data(), roles.data(), 1,
                                     B, kind, kDefaultContrastiveEps);
        return terms;
      };
      const std::vector<float> t = terms_of(u, y), tp = terms_of(up, yp);
      std::vector<float> t_moved(B);
      for (int64_t i = 0; i < B; ++i) t_moved[perm[i]] = t[i];
      test::expect_close(tp, t_moved, 1e-5, 1e-5, name(kind, sim));
      const float loss =
          contrastive_loss(Tensor::from_vector(u, {B, E}), Tensor::from_vector(y, {B}), kind, sim)
              .item();
      const float loss_p =
          contrastive_loss(Tensor::from_vector(up, {B, E}), Tensor::from_vector(yp, {B}), kind, sim)
              .item();
      CHECK(loss_p == doctest::Approx(loss).epsilon(1e-5));
    }
  }
}

TEST_CASE("contrastive_loss: no gradient through a clamped cos similarity, none to y") {
  // B = 2: the only term is the negative pair; u_1 = -u_0 puts it in the clamp region.
  std::vector<float> uv = test::random_tensor({2, 4}, 11).to_vector();
  for (int e = 0; e < 4; ++e) uv[4 + e] = -uv[e];
  Tensor u = Tensor::from_vector(uv, {2, 4}).set_requires_grad(true);
  Tensor y = Tensor::from_vector<float>({0.1f, 0.6f}, {2}).set_requires_grad(true);
  Tensor loss = contrastive_loss(u, y, ContrastiveKind::CL, Similarity::Cos);
  CHECK(loss.item() == doctest::Approx(std::log(kCosClampLow)));
  loss.backward();
  const std::vector<float> g = u.grad().to_vector();
  CHECK(std::all_of(g.begin(), g.end(), [](float v) { return v == 0.f; }));
  CHECK_FALSE(y.grad().defined());
}

TEST_CASE("contrastive_loss rejects bad arguments") {
  Tensor u = test::random_tensor({4, 3}, 1), y = test::random_tensor({4}, 2, 0.f, 1.f);
  CHECK_THROWS_WITH_AS(contrastive_loss(test::random_tensor({1, 3}, 1), test::random_tensor({1}, 2),
                                        ContrastiveKind::CL),
                       doctest::Contains("at least 2 samples"), Error);
  CHECK_THROWS_WITH_AS(contrastive_loss(u, test::random_tensor({5}, 3), ContrastiveKind::CL),
                       doctest::Contains("must hold the same batch"), Error);
  CHECK_THROWS_WITH_AS(contrastive_loss(u, y, ContrastiveKind::WCL, Similarity::Cos, 0.f),
                       doctest::Contains("wCL needs eps_w > 0"), Error);
  CHECK_THROWS_WITH_AS(contrastive_loss(test::random_tensor({4, 3, 1}, 1), y, ContrastiveKind::CL),
                       doctest::Contains("contrastive_loss: argument 'u'"), Error);
}
