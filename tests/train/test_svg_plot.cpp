// SVG charts: well-formed output (tests/util/xml_check.h), the expected elements, escaping, ticks.
#include <cmath>

#include "base/error.h"
#include "tests/util/test_util.h"
#include "tests/util/xml_check.h"
#include "train/svg_plot.h"

using namespace learner;
using namespace learner::train;

namespace {

test::XmlSummary checked(const std::string& svg) {
  const test::XmlSummary s = test::check_xml(svg);
  REQUIRE_MESSAGE(s.ok, s.error);
  REQUIRE(s.root_names == std::vector<std::string>{"svg"});
  CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  return s;
}

bool has_text(const test::XmlSummary& s, const std::string& t) {
  for (const std::string& x : s.texts)
    if (x == t) return true;
  return false;
}

}  // namespace

TEST_CASE("svg: the XML checker itself rejects malformed documents") {
  CHECK(test::check_xml("<svg><g/></svg>").ok);
  CHECK_FALSE(test::check_xml("<svg><g></svg>").ok);
  CHECK_FALSE(test::check_xml("<svg><text>a < b</text></svg>").ok);
  CHECK_FALSE(test::check_xml("<svg><text>a & b</text></svg>").ok);
  CHECK_FALSE(test::check_xml("<svg width=3></svg>").ok);
  CHECK_FALSE(test::check_xml("<svg>").ok);
}

TEST_CASE("svg: nice_ticks covers the range with round steps") {
  const std::vector<double> unit = nice_ticks(0.0, 1.0);
  REQUIRE(unit.size() == 6);
  for (size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == doctest::Approx(0.2 * static_cast<double>(i)));
  const std::vector<double> t = nice_ticks(3.0, 997.0, 5);
  CHECK(t.front() == 0);
  CHECK(t.back() == 1000);
  CHECK(t[1] - t[0] == 200);
  const std::vector<double> n = nice_ticks(-0.037, 0.012, 5);
  CHECK(n.front() <= -0.037);
  CHECK(n.back() >= 0.012);
  CHECK(n[1] - n[0] == doctest::Approx(0.01));
  CHECK_THROWS_AS(nice_ticks(1.0, 1.0), Error);
  CHECK_THROWS_AS(nice_ticks(0.0, NAN), Error);
}

TEST_CASE("svg: line chart has axes, one polyline per unbroken run, markers, legend, escaping") {
  LineChart c;
  c.title = "loss <train & val>";
  c.x_label = "step";
  c.y_label = "loss";
  c.series.push_back({"run \"a\" / train", {0, 1, 2, 3, 4, 5}, {3.0, 2.5, NAN, 1.5, 1.2, 1.1}, 0, Dash::Solid});
  c.series.push_back({"run a / val", {5}, {1.4}, 0, Dash::Dashed});
  const std::string svg = line_chart_svg(c);
  const test::XmlSummary s = checked(svg);
  CHECK(s.elements.at("polyline") == 2);  // the NaN splits the train series; one point draws no line
  CHECK(s.elements.at("circle") == 6);    // 5 finite train points + 1 val point
  CHECK(has_text(s, "loss <train & val>"));
  CHECK(svg.find("loss &lt;train &amp; val&gt;") != std::string::npos);
  CHECK(has_text(s, "run \"a\" / train"));
  CHECK(has_text(s, "run a / val"));
  CHECK(has_text(s, "step"));
  CHECK(has_text(s, "3.0"));  // a y tick label: ticks 1.0 .. 3.0 in steps of 0.5
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  CHECK(svg.find(palette_color(0)) != std::string::npos);
}

TEST_CASE("svg: empty and degenerate line charts still render") {
  LineChart empty;
  empty.title = "nothing";
  const test::XmlSummary s = checked(line_chart_svg(empty));
  CHECK(has_text(s, "no data"));
  LineChart flat;
  flat.series.push_back({"flat", {2, 2, 2}, {0.5, 0.5, 0.5}});
  const test::XmlSummary f = checked(line_chart_svg(flat));
  CHECK(f.elements.at("polyline") == 1);
  LineChart bad;
  bad.series.push_back({"bad", {1, 2}, {1}});
  CHECK_THROWS_WITH_AS(line_chart_svg(bad), doctest::Contains("series 'bad' has 2 x and 1 y"), Error);
}

TEST_CASE("svg: density plot draws non-empty cells, the mean line and a colour bar") {
  DensityPlot p;
  p.title = "Fig. 1";
  p.subtitle = "Spearman 0.5";
  p.x_label = "|HS difference|";
  p.y_label = "cosine distance";
  p.bins_x = 4;
  p.bins_y = 3;
  // x in 0..100, y in 0..1 with NaN skipped: points in 3 distinct cells.
  p.points = {{5, 0.1}, {6, 0.12}, {95, 0.9}, {55, 0.5}, {NAN, 0.3}, {20, INFINITY}};
  const std::string svg = density_plot_svg(p);
  const test::XmlSummary s = checked(svg);
  // rects: background, axes frame, 3 cells, plot frame over them, legend backdrop, 24 colour-bar
  // steps and the bar's frame.
  CHECK(s.elements.at("rect") == 1 + 1 + 3 + 1 + 1 + 24 + 1);
  CHECK(s.elements.at("polyline") == 1);
  CHECK(has_text(s, "Spearman 0.5"));
  CHECK(has_text(s, "|HS difference|"));
  CHECK(has_text(s, "2"));  // the largest cell holds two points
  p.points.clear();
  CHECK(has_text(checked(density_plot_svg(p)), "no data"));
}

TEST_CASE("svg: confusion matrix heat map shows every count") {
  ConfusionPlot p;
  p.title = "run a: test pairs";
  p.class_names = {"improved", "same", "deteriorated"};
  p.matrix = {{12, 3, 0}, {4, 20, 6}, {0, 0, 0}};
  const std::string svg = confusion_matrix_svg(p);
  const test::XmlSummary s = checked(svg);
  CHECK(s.elements.at("rect") == 1 + 9);
  for (const char* t : {"12", "3", "4", "20", "6", "improved", "deteriorated", "predicted", "true", "80%", "-"})
    CHECK_MESSAGE(has_text(s, t), t);
  p.matrix.pop_back();
  CHECK_THROWS_AS(confusion_matrix_svg(p), Error);
}

TEST_CASE("svg: a legend with more series than fit says how many are left out") {
  LineChart c;
  for (int k = 0; k < 30; ++k) c.series.push_back({"series " + std::to_string(k), {0, 1}, {0, double(k)}});
  const test::XmlSummary s = checked(line_chart_svg(c));
  CHECK(s.elements.at("polyline") == 30);
  CHECK(has_text(s, "series 17"));
  CHECK_FALSE(has_text(s, "series 18"));
  CHECK(has_text(s, "... and 12 more"));
}
