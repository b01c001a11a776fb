// SVG charts as text: plain elements (rect, line, polyline, circle, text), fixed layout.
#include "train/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace learner::train {

namespace {

constexpr int kLeft = 72, kTop = 44, kBottom = 52;  // margins around the plot area
constexpr int kLegendWidth = 210;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A tick label with as many decimals as the tick spacing needs.
std::string tick_label(double v, double step) {
  char buf[32];
  if (std::fabs(v) < 1e-12 * step) v = 0;  // -0.0000 from rounding
  if (step >= 1e5 || step < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

std::string text(double x, double y, const std::string& s, const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + (extra.empty() ? "" : " " + extra) + ">" +
         xml_escape(s) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" " +
         style + "/>\n";
}

std::string rect(double x, double y, double w, double h, const std::string& style) {
  return "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" " +
         style + "/>\n";
}

std::string svg_open(int width, int height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n" +
         rect(0, 0, width, height, "fill=\"white\"");
}

std::string shorten(const std::string& s, size_t max_chars) {
  return s.size() <= max_chars ? s : s.substr(0, max_chars - 3) + "...";
}

// Maps data to pixels on one axis.
struct Scale {
  double lo, hi, px_lo, px_hi;
  double operator()(double v) const { return px_lo + (v - lo) / (hi - lo) * (px_hi - px_lo); }
};

// The finite range of values, widened when it is a single value.
std::pair<double, double> finite_range(const std::vector<double>& values) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (lo > hi) return {0, 1};
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    return {lo - pad, hi + pad};
  }
  return {lo, hi};
}

// Axes, grid lines and tick labels around the plot area that x and y map onto.
std::string axes(const std::vector<double>& xt, const std::vector<double>& yt, const Scale& x, const Scale& y,
                 const std::string& x_label, const std::string& y_label) {
  std::string s;
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1, y_step = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : yt) {
    s += line(x.px_lo, y(v), x.px_hi, y(v), "stroke=\"#e5e5e5\"");
    s += text(x.px_lo - 6, y(v) + 4, tick_label(v, y_step), "text-anchor=\"end\"");
  }
  for (double v : xt) {
    s += line(x(v), y.px_lo, x(v), y.px_hi, "stroke=\"#e5e5e5\"");
    s += text(x(v), y.px_lo + 16, tick_label(v, x_step), "text-anchor=\"middle\"");
  }
  s += rect(x.px_lo, y.px_hi, x.px_hi - x.px_lo, y.px_lo - y.px_hi, "fill=\"none\" stroke=\"#333\"");
  s += text((x.px_lo + x.px_hi) / 2, y.px_lo + 36, x_label, "text-anchor=\"middle\"");
  const double cy = (y.px_lo + y.px_hi) / 2;
  s += text(18, cy, y_label, "text-anchor=\"middle\" transform=\"rotate(-90 18 " + num(cy) + ")\"");
  return s;
}

std::string dash_attr(Dash dash) {
  switch (dash) {
    case Dash::Dashed: return " stroke-dasharray=\"7 4\"";
    case Dash::Dotted: return " stroke-dasharray=\"2 3\"";
    case Dash::Solid: break;
  }
  return "";
}

// Sequential colour map (viridis at five stops, linearly interpolated), t in [0, 1].
std::string colormap(double t) {
  static const std::array<std::array<double, 3>, 5> stops = {
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  char buf[8];
  int c[3];
  for (int k = 0; k < 3; ++k) c[k] = static_cast<int>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
  return buf;
}

// Light-to-dark blue for the confusion matrix, t in [0, 1].
std::string blues(double t) {
  t = std::clamp(t, 0.0, 1.0);
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(247 - t * (247 - 8))),
                static_cast<int>(std::lround(251 - t * (251 - 48))), static_cast<int>(std::lround(255 - t * (255 - 107))));
  return buf;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
  LEARNER_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && target_count >= 2,
                "nice_ticks: need finite lo < hi and target_count >= 2, got ", lo, ", ", hi, ", ", target_count);
  const double raw = (hi - lo) / target_count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (const double m : {1.0, 2.0, 5.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last; k += 1) ticks.push_back(k * step);  // k * step: no drift
  return ticks;
}

std::string palette_color(int i) {
  static const std::array<const char*, 10> colors = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colors[static_cast<size_t>(((i % 10) + 10) % 10)];
}

std::string line_chart_svg(const LineChart& c) {
  std::vector<double> xs, ys;
  for (const Series& s : c.series) {
    LEARNER_CHECK(s.x.size() == s.y.size(), "line_chart_svg: series '", s.name, "' has ", s.x.size(), " x and ",
                  s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xs.push_back(s.x[i]);
        ys.push_back(s.y[i]);
      }
  }
  const int right = c.series.empty() ? 20 : kLegendWidth;
  std::string svg = svg_open(c.width, c.height);
  svg += text(c.width / 2.0, 24, c.title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
  const double px_left = kLeft, px_right = c.width - right, px_top = kTop, px_bottom = c.height - kBottom;
  if (xs.empty()) {
    svg += rect(px_left, px_top, px_right - px_left, px_bottom - px_top, "fill=\"none\" stroke=\"#333\"");
    svg += text((px_left + px_right) / 2, (px_top + px_bottom) / 2, "no data", "text-anchor=\"middle\" fill=\"#777\"");
    return svg + "</svg>\n";
  }
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const std::vector<double> xt = nice_ticks(x_lo, x_hi, 6), yt = nice_ticks(y_lo, y_hi, 5);
  const Scale x{xt.front(), xt.back(), px_left, px_right}, y{yt.front(), yt.back(), px_bottom, px_top};
  svg += axes(xt, yt, x, y, c.x_label, c.y_label);

  for (size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    const std::string color = palette_color(s.color >= 0 ? s.color : static_cast<int>(k));
    std::string points;
    size_t count = 0, finite = 0;
    auto flush = [&] {
      if (count >= 2)
        svg += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.8\"" + dash_attr(s.dash) +
               " points=\"" + points + "\"/>\n";
      points.clear();
      count = 0;
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      points += (count ? " " : "") + num(x(s.x[i])) + "," + num(y(s.y[i]));
      ++count;
      ++finite;
    }
    flush();
    // Few points (an evaluation per epoch, a single test result): mark each one.
    if (finite <= 40)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
          svg += "<circle cx=\"" + num(x(s.x[i])) + "\" cy=\"" + num(y(s.y[i])) + "\" r=\"3\" fill=\"" + color +
                 "\"/>\n";
    const double ly = kTop + 8 + 18.0 * static_cast<double>(k);
    if (ly > c.height - 28) {  // more series than the legend can hold
      if (k + 1 == c.series.size()) {
        const size_t shown = static_cast<size_t>((c.height - 28 - kTop - 8) / 18) + 1;
        svg += text(px_right + 12, kTop + 12 + 18.0 * static_cast<double>(shown),
                    "... and " + std::to_string(c.series.size() - shown) + " more");
      }
      continue;
    }
    svg += line(px_right + 12, ly, px_right + 40, ly, "stroke=\"" + color + "\" stroke-width=\"2\"" + dash_attr(s.dash));
    svg += text(px_right + 46, ly + 4, shorten(s.name, 26));
  }
  return svg + "</svg>\n";
}

std::string density_plot_svg(const DensityPlot& p) {
  LEARNER_CHECK(p.bins_x >= 1 && p.bins_y >= 1, "density_plot_svg: bins must be >= 1, got ", p.bins_x, " x ", p.bins_y);
  std::vector<double> xs, ys;
  for (const auto& [px, py] : p.points)
    if (std::isfinite(px) && std::isfinite(py)) {
      xs.push_back(px);
      ys.push_back(py);
    }
  const int colorbar = 70;
  std::string svg = svg_open(p.width, p.height);
  svg += text(p.width / 2.0, 20, p.title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
  if (!p.subtitle.empty()) svg += text(p.width / 2.0, 36, p.subtitle, "text-anchor=\"middle\" fill=\"#444\"");
  const double px_left = kLeft, px_right = p.width - colorbar, px_top = kTop + 6, px_bottom = p.height - kBottom;
  if (xs.empty()) {
    svg += rect(px_left, px_top, px_right - px_left, px_bottom - px_top, "fill=\"none\" stroke=\"#333\"");
    svg += text((px_left + px_right) / 2, (px_top + px_bottom) / 2, "no data", "text-anchor=\"middle\" fill=\"#777\"");
    return svg + "</svg>\n";
  }
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const std::vector<double> xt = nice_ticks(x_lo, x_hi, 6), yt = nice_ticks(y_lo, y_hi, 5);
  const Scale x{xt.front(), xt.back(), px_left, px_right}, y{yt.front(), yt.back(), px_bottom, px_top};

  // counts is (bins_y, bins_x) over the tick-rounded ranges; sums for the per-column mean.
  std::vector<int64_t> counts(static_cast<size_t>(p.bins_x) * p.bins_y, 0), column_n(p.bins_x, 0);
  std::vector<double> column_sum(p.bins_x, 0);
  auto bin = [](double v, double lo, double hi, int n) {
    return std::clamp(static_cast<int>((v - lo) / (hi - lo) * n), 0, n - 1);
  };
  for (size_t i = 0; i < xs.size(); ++i) {
    const int bx = bin(xs[i], x.lo, x.hi, p.bins_x), by = bin(ys[i], y.lo, y.hi, p.bins_y);
    ++counts[static_cast<size_t>(by) * p.bins_x + bx];
    ++column_n[bx];
    column_sum[bx] += ys[i];
  }
  const int64_t max_count = *std::max_element(counts.begin(), counts.end());
  svg += axes(xt, yt, x, y, p.x_label, p.y_label);  // grid first: the cells cover it
  const double cell_w = (px_right - px_left) / p.bins_x, cell_h = (px_bottom - px_top) / p.bins_y;
  for (int by = 0; by < p.bins_y; ++by)
    for (int bx = 0; bx < p.bins_x; ++bx) {
      const int64_t n = counts[static_cast<size_t>(by) * p.bins_x + bx];
      if (n == 0) continue;
      const double t = max_count > 1 ? std::log1p(static_cast<double>(n)) / std::log1p(static_cast<double>(max_count)) : 1.0;
      // Cells overlap by a hair so that no white seams show between them.
      svg += rect(px_left + bx * cell_w, px_bottom - (by + 1) * cell_h, cell_w + 0.3, cell_h + 0.3,
                  "fill=\"" + colormap(t) + "\"");
    }
  svg += rect(px_left, px_top, px_right - px_left, px_bottom - px_top, "fill=\"none\" stroke=\"#333\"");
  if (p.show_mean) {
    std::string points;
    for (int bx = 0; bx < p.bins_x; ++bx)
      if (column_n[bx] > 0)
        points += (points.empty() ? "" : " ") + num(px_left + (bx + 0.5) * cell_w) + "," +
                  num(y(column_sum[bx] / static_cast<double>(column_n[bx])));
    svg += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    svg += line(px_left + 8, px_top + 12, px_left + 30, px_top + 12, "stroke=\"#d62728\" stroke-width=\"2\"");
    svg += rect(px_left + 34, px_top + 3, 112, 14, "fill=\"white\" fill-opacity=\"0.8\"");
    svg += text(px_left + 36, px_top + 15, "mean per column");
  }
  // Colour bar: log(1 + count), from 0 to the largest cell count.
  const double bar_x = px_right + 16, bar_w = 14;
  const int steps = 24;
  for (int i = 0; i < steps; ++i) {
    const double h = (px_bottom - px_top) / steps;
    svg += rect(bar_x, px_bottom - (i + 1) * h, bar_w, h + 0.3, "fill=\"" + colormap((i + 0.5) / steps) + "\"");
  }
  svg += rect(bar_x, px_top, bar_w, px_bottom - px_top, "fill=\"none\" stroke=\"#333\"");
  svg += text(bar_x + bar_w + 3, px_top + 10, std::to_string(max_count), "font-size=\"11\"");
  svg += text(bar_x + bar_w + 3, px_bottom, "0", "font-size=\"11\"");
  svg += text(bar_x + bar_w / 2, px_top - 6, "count (log)", "text-anchor=\"middle\" font-size=\"11\"");
  return svg + "</svg>\n";
}

std::string confusion_matrix_svg(const ConfusionPlot& p) {
  const size_t k = p.class_names.size();
  LEARNER_CHECK(k >= 1 && p.matrix.size() == k, "confusion_matrix_svg: ", k, " class names but ", p.matrix.size(), " rows");
  for (const auto& row : p.matrix)
    LEARNER_CHECK(row.size() == k, "confusion_matrix_svg: a row has ", row.size(), " entries, expected ", k);
  const int left = 120, top = 80, c = p.cell;
  const int width = left + static_cast<int>(k) * c + 30, height = top + static_cast<int>(k) * c + 50;
  std::string svg = svg_open(width, height);
  svg += text(width / 2.0, 22, p.title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"");
  svg += text(left + k * c / 2.0, 48, "predicted", "text-anchor=\"middle\" font-weight=\"bold\"");
  const double cy = top + k * c / 2.0;
  svg += text(16, cy, "true", "text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(-90 16 " + num(cy) + ")\"");
  for (size_t t = 0; t < k; ++t) {
    int64_t row_total = 0;
    for (const int64_t v : p.matrix[t]) row_total += v;
    svg += text(left - 8, top + (t + 0.5) * c + 4, shorten(p.class_names[t], 16), "text-anchor=\"end\"");
    svg += text(left + (t + 0.5) * c, top - 8, shorten(p.class_names[t], 14), "text-anchor=\"middle\"");
    for (size_t q = 0; q < k; ++q) {
      const double share = row_total > 0 ? static_cast<double>(p.matrix[t][q]) / static_cast<double>(row_total) : 0;
      const double x0 = left + static_cast<double>(q) * c, y0 = top + static_cast<double>(t) * c;
      svg += rect(x0, y0, c, c, "fill=\"" + blues(share) + "\" stroke=\"white\"");
      const std::string ink = share > 0.5 ? "white" : "#222";
      svg += text(x0 + c / 2.0, y0 + c / 2.0, std::to_string(p.matrix[t][q]),
                  "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" fill=\"" + ink + "\"");
      char pct[16];
      std::snprintf(pct, sizeof pct, "%.0f%%", 100 * share);
      svg += text(x0 + c / 2.0, y0 + c / 2.0 + 17, row_total > 0 ? pct : "-",
                  "text-anchor=\"middle\" font-size=\"11\" fill=\"" + ink + "\"");
    }
  }
  svg += text(left, height - 16, "colour and % : share of the true class's row", "fill=\"#555\" font-size=\"11\"");
  return svg + "</svg>\n";
}

}  // namespace learner::train
