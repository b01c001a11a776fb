// Evaluation metrics (SPEC section 9) against hand-computed values: confusion matrix,
// precision / recall / F1 with zero divisions, Spearman with ties, the Fig. 1 analysis.
#include <cmath>
#include <set>

#include "tests/util/test_util.h"
#include "train/metrics.h"

using namespace learner;
using namespace learner::train;

namespace {
void check_vector(const std::vector<double>& actual, const std::vector<double>& expected, const char* what) {
  REQUIRE_MESSAGE(actual.size() == expected.size(), what);
  for (size_t i = 0; i < actual.size(); ++i)
    CHECK_MESSAGE(actual[i] == doctest::Approx(expected[i]).epsilon(1e-12), what, "[", i, "]");
}
}  // namespace

TEST_CASE("classification_report: confusion matrix, precision, recall, F1 by hand") {
  // Rows true, columns predicted: [[2,1,1],[1,1,0],[0,0,2]].
  const ClassificationReport r = classification_report({0, 0, 0, 0, 1, 1, 2, 2}, {0, 0, 1, 2, 1, 0, 2, 2});
  CHECK(r.confusion == std::vector<std::vector<int64_t>>{{2, 1, 1}, {1, 1, 0}, {0, 0, 2}});
  CHECK(r.num_samples == 8);
  CHECK(r.support == std::vector<int64_t>{4, 2, 2});
  CHECK(r.accuracy == doctest::Approx(5.0 / 8));
  check_vector(r.precision, {2.0 / 3, 1.0 / 2, 2.0 / 3}, "precision");
  check_vector(r.recall, {1.0 / 2, 1.0 / 2, 1.0}, "recall");
  check_vector(r.f1, {4.0 / 7, 1.0 / 2, 4.0 / 5}, "f1");
  CHECK(r.macro_f1 == doctest::Approx(131.0 / 210).epsilon(1e-12));
  CHECK(r.class_names == pair_class_names());
}

TEST_CASE("classification_report: a class with no support and no predictions counts 0 in macro F1") {
  // Class 1 (same) never occurs and is never predicted: [[1,0,1],[0,0,0],[1,0,2]].
  const ClassificationReport r = classification_report({0, 0, 2, 2, 2}, {0, 2, 2, 2, 0});
  CHECK(r.confusion == std::vector<std::vector<int64_t>>{{1, 0, 1}, {0, 0, 0}, {1, 0, 2}});
  CHECK(r.accuracy == doctest::Approx(3.0 / 5));
  check_vector(r.precision, {1.0 / 2, 0.0, 2.0 / 3}, "precision");
  check_vector(r.recall, {1.0 / 2, 0.0, 2.0 / 3}, "recall");
  check_vector(r.f1, {1.0 / 2, 0.0, 2.0 / 3}, "f1");
  CHECK(r.macro_f1 == doctest::Approx(7.0 / 18).epsilon(1e-12));  // (1/2 + 0 + 2/3) / 3, not / 2
}

TEST_CASE("classification_report: predicted-but-absent and present-but-never-predicted classes") {
  // Class 2 absent; class 1 predicted twice, right once: p1 = 1/2, r1 = 1.
  const ClassificationReport a = classification_report({0, 0, 1}, {1, 0, 1});
  check_vector(a.precision, {1.0, 1.0 / 2, 0.0}, "precision");
  check_vector(a.recall, {1.0 / 2, 1.0, 0.0}, "recall");
  CHECK(a.macro_f1 == doctest::Approx(4.0 / 9).epsilon(1e-12));
  // Everything predicted as class 0: classes 1 and 2 have support but no predictions.
  const ClassificationReport b = classification_report({0, 1, 2}, {0, 0, 0});
  check_vector(b.precision, {1.0 / 3, 0.0, 0.0}, "precision");
  check_vector(b.f1, {1.0 / 2, 0.0, 0.0}, "f1");
  CHECK(b.macro_f1 == doctest::Approx(1.0 / 6).epsilon(1e-12));
  // Perfect predictions.
  const ClassificationReport c = classification_report({2, 1, 0, 2, 1}, {2, 1, 0, 2, 1});
  CHECK(c.accuracy == 1.0);
  CHECK(c.macro_f1 == 1.0);
}

TEST_CASE("classification_report: bad inputs are clear errors") {
  CHECK_THROWS_WITH_AS(classification_report({0, 1}, {0}), doctest::Contains("2 labels but 1 predictions"), Error);
  CHECK_THROWS_WITH_AS(classification_report({0, 3}, {0, 1}), doctest::Contains("sample 1 has label 3"), Error);
  CHECK_THROWS_WITH_AS(classification_report({0, 1}, {-1, 1}), doctest::Contains("prediction -1"), Error);
  CHECK_THROWS_AS(classification_report({}, {}), Error);
}

TEST_CASE("classification_report: JSON round trip and the text table") {
  const ClassificationReport r = classification_report({0, 0, 0, 0, 1, 1, 2, 2}, {0, 0, 1, 2, 1, 0, 2, 2});
  const nlohmann::json j = to_json(r);
  CHECK(j.at("confusion_matrix") == nlohmann::json::parse("[[2,1,1],[1,1,0],[0,0,2]]"));
  CHECK(j.at("per_class").at(2).at("name") == "deteriorated");
  CHECK(j.at("per_class").at(0).at("support") == 4);
  const ClassificationReport back = classification_report_from_json(nlohmann::json::parse(j.dump()), "eval.json");
  CHECK(back.confusion == r.confusion);
  CHECK(back.class_names == r.class_names);
  CHECK(back.f1 == r.f1);
  CHECK(back.macro_f1 == r.macro_f1);
  CHECK(back.support == r.support);

  nlohmann::json broken = j;
  broken["per_class"].erase(1);
  CHECK_THROWS_WITH_AS(classification_report_from_json(broken, "run/eval.json"),
                       doctest::Contains("run/eval.json: not a classification report"), Error);
  CHECK_THROWS_WITH_AS(classification_report_from_json(nlohmann::json::array(), "x.json"),
                       doctest::Contains("x.json"), Error);

  const std::string table = format_classification_report(r);
  CHECK(table.find("rows: true, columns: predicted") != std::string::npos);
  CHECK(table.find("deteriorated") != std::string::npos);
  CHECK(table.find("macro F1 0.6238") != std::string::npos);
  CHECK(table.find("accuracy 0.6250") != std::string::npos);
}

TEST_CASE("mean_absolute_error") {
  CHECK(mean_absolute_error({1.f, -2.f, 3.5f}, {0.f, 1.f, 3.f}) == doctest::Approx((1 + 3 + 0.5) / 3.0));
  CHECK_THROWS_AS(mean_absolute_error({1.f}, {1.f, 2.f}), Error);
  CHECK_THROWS_AS(mean_absolute_error({}, {}), Error);
}

TEST_CASE("average_ranks: ties share the mean of their ranks") {
  check_vector(average_ranks({10, 20, 10, 30, 20, 10}), {2, 4.5, 2, 6, 4.5, 2}, "ranks");
  check_vector(average_ranks({3, 1, 2}), {3, 1, 2}, "ranks");
  check_vector(average_ranks({7, 7, 7}), {2, 2, 2}, "ranks");
}

TEST_CASE("spearman: perfect, reversed, ties, undefined") {
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7};
  std::vector<double> cubed, reversed;
  for (double v : x) {
    cubed.push_back(v * v * v - 10);  // monotone but far from linear
    reversed.push_back(-std::exp(v));
  }
  CHECK(spearman(x, cubed) == 1.0);
  CHECK(spearman(x, reversed) == -1.0);
  CHECK(pearson(x, cubed) < 0.99);  // Pearson is not rank-based
  // Ties: ranks x [1, 2.5, 2.5, 4], y [1, 3, 2, 4] -> 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
  CHECK(spearman({1, 2, 2, 3}, {1, 3, 2, 4}) == doctest::Approx(3.0 / std::sqrt(10.0)).epsilon(1e-12));
  CHECK(std::isnan(spearman({1, 2, 3}, {5, 5, 5})));
  CHECK_THROWS_AS(spearman({1}, {1}), Error);
  CHECK_THROWS_AS(spearman({1, 2}, {1, 2, 3}), Error);
  CHECK_THROWS_WITH_AS(spearman({1, NAN}, {1, 2}), doctest::Contains("NaN"), Error);
}

TEST_CASE("embedding_analysis: cosine distance against |HS difference| by hand") {
  // u0 = (1, 0), u1 = (0, 1), u2 = (2, 2): distances 1, 1 - 1/sqrt(2), 1 - 1/sqrt(2).
  const Tensor u = Tensor::from_vector<float>({1, 0, 0, 1, 2, 2}, {3, 2});
  const EmbeddingAnalysis a = embedding_analysis(u, {10.f, 30.f, 15.f});
  CHECK(a.num_scans == 3);
  CHECK(a.total_pairs == 3);
  REQUIRE(a.pairs.size() == 3);
  CHECK(a.pairs[0].first == doctest::Approx(1.0));
  CHECK(a.pairs[1].first == doctest::Approx(1.0 - 1.0 / std::sqrt(2.0)));
  CHECK(a.pairs[2].first == doctest::Approx(1.0 - 1.0 / std::sqrt(2.0)));
  CHECK(a.pairs[0].second == 20.0);
  CHECK(a.pairs[1].second == 5.0);
  CHECK(a.pairs[2].second == 15.0);
  // Ranks: distances [3, 1.5, 1.5], differences [3, 1, 2] -> 1.5 / sqrt(1.5 * 2).
  CHECK(a.spearman == doctest::Approx(1.5 / std::sqrt(3.0)).epsilon(1e-12));

  const nlohmann::json j = to_json(a, "test");
  CHECK(j.at("split") == "test");
  CHECK(j.at("pairs").size() == 3);
  CHECK(j.at("pairs").at(1).at(1) == 5.0);
  CHECK(j.at("spearman").get<double>() == a.spearman);
}

TEST_CASE("embedding_analysis: deterministic sampling of distinct pairs") {
  const int64_t n = 41, e = 5;
  const Tensor u = test::random_tensor({n, e}, 3);
  std::vector<float> scores(n);
  for (int64_t i = 0; i < n; ++i) scores[i] = static_cast<float>((i * 37) % 23);
  const EmbeddingAnalysis all = embedding_analysis(u, scores);
  REQUIRE(all.pairs.size() == static_cast<size_t>(n * (n - 1) / 2));
  // All pairs come in row-major i < j order: check against the nested loop.
  size_t k = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j, ++k)
      REQUIRE(all.pairs[k].second == std::fabs(static_cast<double>(scores[i]) - scores[j]));

  const EmbeddingAnalysis s1 = embedding_analysis(u, scores, 101, 7);
  const EmbeddingAnalysis s2 = embedding_analysis(u, scores, 101, 7);
  const EmbeddingAnalysis s3 = embedding_analysis(u, scores, 101, 8);
  CHECK(s1.total_pairs == all.total_pairs);
  REQUIRE(s1.pairs.size() == 101);
  CHECK(s1.pairs == s2.pairs);
  CHECK(s1.spearman == s2.spearman);
  CHECK(s1.pairs != s3.pairs);
  // Every sampled pair is one of the full set's, none twice.
  std::set<std::pair<double, double>> full(all.pairs.begin(), all.pairs.end()), seen;
  for (const auto& p : s1.pairs) {
    CHECK(full.count(p) == 1);
    CHECK(seen.insert(p).second);
  }
  // Asking for at least as many pairs as exist gives them all.
  CHECK(embedding_analysis(u, scores, all.total_pairs, 7).pairs == all.pairs);
}

TEST_CASE("embedding_analysis: bad inputs are clear errors") {
  const Tensor u = test::random_tensor({4, 3}, 1);
  CHECK_THROWS_WITH_AS(embedding_analysis(u, {1.f, 2.f}), doctest::Contains("4 embeddings but 2 scores"), Error);
  CHECK_THROWS_AS(embedding_analysis(test::random_tensor({4}, 1), {1.f, 2.f, 3.f, 4.f}), Error);
  CHECK_THROWS_AS(embedding_analysis(test::random_tensor({2, 3}, 1), {1.f, 2.f}), Error);
  CHECK_THROWS_AS(embedding_analysis(u, {1.f, 2.f, 3.f, 4.f}, 1, 0), Error);
}
