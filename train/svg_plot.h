// Small SVG charts for `learner report`: line charts (training curves), a 2D-histogram
// density plot (paper Fig. 1) and a confusion-matrix heat map. Each returns one standalone
// <svg> element as text, usable as a .svg file or inline in HTML. No external dependencies.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace learner::train {

enum class Dash { Solid, Dashed, Dotted };

struct Series {
  std::string name;             // legend entry
  std::vector<double> x, y;     // same length; a non-finite y breaks the line there
  int color = -1;               // index into the palette; -1: the series' position
  Dash dash = Dash::Solid;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 760, height = 400;  // pixels, legend included
};

// Axes with "nice" ticks (1, 2, 5 x 10^k) and grid lines, one polyline per unbroken run of
// finite points, markers on series with few points, a legend on the right. An empty chart
// says "no data".
std::string line_chart_svg(const LineChart& chart);

struct DensityPlot {
  std::string title, subtitle, x_label, y_label;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite points are skipped
  int bins_x = 40, bins_y = 30;
  bool show_mean = true;                          // mean y of each x bin, as a line
  int width = 560, height = 420;
};

// A heat map of point counts per cell (colour on a log scale, empty cells white), a colour
// bar, and optionally the per-x-bin mean.
std::string density_plot_svg(const DensityPlot& plot);

struct ConfusionPlot {
  std::string title;
  std::vector<std::string> class_names;         // K
  std::vector<std::vector<int64_t>> matrix;     // K x K counts: [true][predicted]
  int cell = 90;                                // cell size in pixels
};

// Cells coloured by their share of the row (the recall view, independent of class sizes),
// each labelled with its count and row percentage; rows true, columns predicted.
std::string confusion_matrix_svg(const ConfusionPlot& plot);

// Helpers, exposed for tests and the report.
std::string xml_escape(const std::string& text);
// Evenly spaced round values covering [lo, hi]: the first <= lo, the last >= hi.
std::vector<double> nice_ticks(double lo, double hi, int target_count = 5);
// "#rrggbb" of palette entry i (10 distinguishable colours, repeating).
std::string palette_color(int i);

}  // namespace learner::train
