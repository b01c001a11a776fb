// The report: a list of blocks (headings, tables, figures) rendered both to Markdown and to
// HTML, so that the two files say the same; figures are SVG files, inlined in the HTML.
#include "train/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "base/error.h"
#include "train/pair_results.h"
#include "train/svg_plot.h"

namespace learner::train {

namespace fs = std::filesystem;

namespace {

struct Figure {
  std::string file, caption;
};

struct Block {
  enum class Kind { Heading, Paragraph, Table, Figures, Code };
  Kind kind;
  int level = 2;                                // Heading
  std::string text;                             // Heading, Paragraph, Code
  std::vector<std::vector<std::string>> rows;   // Table: rows[0] is the header
  std::vector<Figure> figures;                  // Figures, shown side by side
};

Block heading(int level, const std::string& text) { return {Block::Kind::Heading, level, text, {}, {}}; }
Block paragraph(const std::string& text) { return {Block::Kind::Paragraph, 0, text, {}, {}}; }
Block table(std::vector<std::vector<std::string>> rows) { return {Block::Kind::Table, 0, "", std::move(rows), {}}; }
Block figures(std::vector<Figure> f) { return {Block::Kind::Figures, 0, "", {}, std::move(f)}; }
Block code(const std::string& text) { return {Block::Kind::Code, 0, text, {}, {}}; }

const char* kMissing = "-";

std::string format(const char* fmt, double v) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string format(const char* fmt, const std::optional<double>& v) { return v ? format(fmt, *v) : kMissing; }

std::string config_cell(const nlohmann::json& config, const std::string& key) {
  const nlohmann::json* v = find_config_value(config, key);
  if (v == nullptr) return kMissing;
  return v->is_string() ? v->get<std::string>() : v->dump();
}

// File-name-safe stem, unique among `taken`.
std::string unique_stem(const std::string& raw, std::set<std::string>& taken) {
  std::string s;  // runs of other characters become one '_': "run (2)" -> "run_2"
  for (const char c : raw) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (keep) s += c;
    else if (!s.empty() && s.back() != '_') s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  if (s.empty() || s[0] == '.') s = "_" + s;
  std::string candidate = s;
  for (int i = 2; !taken.insert(candidate).second; ++i) candidate = s + "-" + std::to_string(i);
  return candidate;
}

// Pre-training logs phases "train", "val", "test"; later stages log "<stage>_<split>".
std::string stage_of(const std::string& phase) {
  const size_t u = phase.find('_');
  return u == std::string::npos ? "pretrain" : phase.substr(0, u);
}
std::string split_of(const std::string& phase) {
  const size_t u = phase.find('_');
  return u == std::string::npos ? phase : phase.substr(u + 1);
}

Dash dash_of(const std::string& split) {
  if (split == "val") return Dash::Dashed;
  if (split == "test") return Dash::Dotted;
  return Dash::Solid;
}

// Losses first, the learning rate last, the rest alphabetically.
int field_rank(const std::string& f) {
  static const std::vector<std::string> first = {"loss", "mse", "cl", "wcl"};
  const auto it = std::find(first.begin(), first.end(), f);
  if (it != first.end()) return static_cast<int>(it - first.begin());
  return f == "lr" ? 100 : 50;
}

// The last value of `field` in the first of `phases` that has one.
std::optional<double> last_value(const RunData& run, const std::vector<std::string>& phases, const std::string& field) {
  for (const std::string& phase : phases)
    for (auto it = run.metrics.rbegin(); it != run.metrics.rend(); ++it)
      if (it->phase == phase)
        if (const auto v = it->values.find(field); v != it->values.end()) return v->second;
  return std::nullopt;
}

struct Summary {
  std::optional<double> accuracy, macro_f1, mae, spearman;
};

Summary summarize(const RunData& run) {
  Summary s;
  if (run.eval) {
    s.accuracy = run.eval->accuracy;
    s.macro_f1 = run.eval->macro_f1;
  } else {
    s.accuracy = last_value(run, {"classify_test", "test"}, "accuracy");
    s.macro_f1 = last_value(run, {"classify_test", "test"}, "macro_f1");
  }
  s.mae = last_value(run, {"test"}, "mae");
  s.spearman = last_value(run, {"test"}, "spearman");
  if (!s.spearman && run.embedding && run.embedding->split == "test") s.spearman = run.embedding->spearman;
  return s;
}

std::string mean_std(const std::vector<double>& v, const char* fmt, double scale) {
  if (v.empty()) return kMissing;
  double mean = 0;
  for (double x : v) mean += x * scale;
  mean /= static_cast<double>(v.size());
  if (v.size() == 1) return format(fmt, mean);
  double ss = 0;
  for (double x : v) ss += (x * scale - mean) * (x * scale - mean);
  return format(fmt, mean) + " ± " + format(fmt, std::sqrt(ss / static_cast<double>(v.size() - 1)));
}

void summary_section(const std::vector<RunData>& runs, const ReportOptions& options, std::vector<Block>& doc) {
  std::vector<std::string> keys;  // group-by keys that some config has, then "seed"
  for (const std::string& key : options.group_by)
    for (const RunData& run : runs)
      if (find_config_value(run.config, key) != nullptr) {
        keys.push_back(key);
        break;
      }
  const bool has_seed = std::any_of(runs.begin(), runs.end(), [](const RunData& r) {
    return find_config_value(r.config, "seed") != nullptr;
  });

  doc.push_back(heading(2, "Summary"));
  std::vector<std::vector<std::string>> rows(1);
  rows[0].push_back("run");
  rows[0].insert(rows[0].end(), keys.begin(), keys.end());
  if (has_seed) rows[0].push_back("seed");
  for (const char* h : {"accuracy (%)", "macro F1", "score MAE", "Spearman"}) rows[0].push_back(h);
  std::vector<Summary> summaries;
  for (const RunData& run : runs) {
    const Summary s = summarize(run);
    summaries.push_back(s);
    std::vector<std::string> row = {run.name};
    for (const std::string& key : keys) row.push_back(config_cell(run.config, key));
    if (has_seed) row.push_back(config_cell(run.config, "seed"));
    row.push_back(s.accuracy ? format("%.2f", 100 * *s.accuracy) : kMissing);
    row.push_back(format("%.3f", s.macro_f1));
    row.push_back(format("%.3f", s.mae));
    row.push_back(format("%.3f", s.spearman));
    rows.push_back(row);
  }
  doc.push_back(table(rows));
  doc.push_back(paragraph(
      "Accuracy and macro F1 are on the test split's pairs (eval.json, else the last classify_test or test "
      "record of metrics.jsonl). Score MAE is the last test record's. Spearman is the rank correlation between "
      "embedding cosine distance and |HS difference| over pairs of test scans (the last test record, else "
      "embedding_analysis.json when its split is test). " + std::string(kMissing) + ": not in the run folder; "
      "n/a: undefined."));

  // Runs with the same values of the group-by keys, averaged (as over seeds in the paper's tables).
  std::vector<std::pair<std::vector<std::string>, std::vector<size_t>>> groups;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::string> values;
    for (const std::string& key : keys) values.push_back(config_cell(runs[i].config, key));
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == values; });
    if (it == groups.end()) groups.push_back({values, {i}});
    else it->second.push_back(i);
  }
  if (keys.empty() || std::none_of(groups.begin(), groups.end(), [](const auto& g) { return g.second.size() > 1; }))
    return;
  std::string by;
  for (const std::string& key : keys) by += (by.empty() ? "" : ", ") + key;
  doc.push_back(heading(3, "Mean ± standard deviation over runs with the same " + by));
  std::vector<std::vector<std::string>> grouped(1, keys);
  for (const char* h : {"runs", "accuracy (%)", "macro F1", "score MAE", "Spearman"}) grouped[0].push_back(h);
  for (const auto& [values, members] : groups) {
    std::vector<double> acc, f1, mae, rho;
    for (const size_t i : members) {
      const Summary& s = summaries[i];
      if (s.accuracy) acc.push_back(*s.accuracy);
      if (s.macro_f1) f1.push_back(*s.macro_f1);
      if (s.mae) mae.push_back(*s.mae);
      if (s.spearman && !std::isnan(*s.spearman)) rho.push_back(*s.spearman);
    }
    std::vector<std::string> row = values;
    row.push_back(std::to_string(members.size()));
    row.push_back(mean_std(acc, "%.2f", 100));
    row.push_back(mean_std(f1, "%.3f", 1));
    row.push_back(mean_std(mae, "%.3f", 1));
    row.push_back(mean_std(rho, "%.3f", 1));
    grouped.push_back(row);
  }
  doc.push_back(table(grouped));
  doc.push_back(paragraph("Standard deviations are sample standard deviations (n - 1); a metric a run lacks is left out of its group."));
}

std::string with_interval(double v, const Interval& ci, const char* fmt, double scale) {
  return format(fmt, scale * v) + " [" + format(fmt, scale * ci.lo) + ", " + format(fmt, scale * ci.hi) + "]";
}

// The headline: each run's result, its interval and the baselines, and whether it beats the
// majority class (a paired bootstrap of the run against predicting that class everywhere).
void headline_section(const std::vector<RunData>& runs, const ReportOptions& options, std::vector<Block>& doc) {
  if (std::none_of(runs.begin(), runs.end(), [](const RunData& r) { return r.eval.has_value(); })) return;
  doc.push_back(heading(2, "Headline: test pairs against the baselines"));
  std::vector<std::vector<std::string>> rows = {
      {"run", "pairs (patients)", "macro F1 [95 % CI]", "accuracy % [95 % CI]", "majority class: macro F1 / acc %",
       "stratified chance: macro F1 / acc %", "macro F1 - majority [95 % CI]"}};
  std::string sentence;
  for (const RunData& run : runs) {
    if (!run.eval) continue;
    const ClassificationReport& r = *run.eval;
    if (!run.test_pairs) {
      rows.push_back({run.name, std::to_string(r.num_samples), format("%.3f", r.macro_f1),
                      format("%.1f", 100 * r.accuracy), kMissing, kMissing, kMissing});
      continue;
    }
    const PairOutcomes& o = *run.test_pairs;
    std::vector<int64_t> labels;
    for (const PairOutcome& p : o.pairs) labels.push_back(p.label);
    const Baselines b = compute_baselines(labels, run.train_support, o.num_classes);
    const MetricIntervals m = bootstrap_intervals(o, options.bootstrap);
    const PairedDifference d =
        paired_difference(o, constant_predictions(o, b.majority_class), run.name, "majority class", options.bootstrap);
    const std::string verdict =
        d.macro_f1_ci.lo > 0 ? "better" : d.macro_f1_ci.hi < 0 ? "worse" : "not shown to differ";
    rows.push_back({run.name, std::to_string(m.num_pairs) + " (" + std::to_string(m.num_patients) + ")",
                    with_interval(m.macro_f1, m.macro_f1_ci, "%.3f", 1),
                    with_interval(m.accuracy, m.accuracy_ci, "%.1f", 100),
                    "(" + r.class_names.at(b.majority_class) + ") " + format("%.3f", b.majority_macro_f1) + " / " +
                        format("%.1f", 100 * b.majority_accuracy),
                    format("%.3f", b.stratified_macro_f1) + " / " + format("%.1f", 100 * b.stratified_accuracy),
                    with_interval(d.macro_f1, d.macro_f1_ci, "%+.3f", 1) + ", " + verdict});
    if (sentence.empty())
      sentence = run.name + ": macro F1 " + with_interval(m.macro_f1, m.macro_f1_ci, "%.3f", 1) + " and accuracy " +
                 with_interval(m.accuracy, m.accuracy_ci, "%.1f", 100) + " % on " + std::to_string(m.num_pairs) +
                 " test pairs of " + std::to_string(m.num_patients) + " patients; predicting '" +
                 r.class_names.at(b.majority_class) + "' for every pair scores macro F1 " +
                 format("%.3f", b.majority_macro_f1) + " and accuracy " + format("%.1f", 100 * b.majority_accuracy) +
                 " %, stratified chance macro F1 " + format("%.3f", b.stratified_macro_f1) + "; against the majority "
                 "class the macro F1 is " + verdict + " (" + with_interval(d.macro_f1, d.macro_f1_ci, "%+.3f", 1) +
                 ").";
  }
  if (!sentence.empty()) doc.push_back(paragraph(sentence));
  doc.push_back(table(rows));
  doc.push_back(paragraph(
      "Intervals: " + format("%.0f", 100 * options.bootstrap.level) + " % percentile bootstrap over test patients (" +
      std::to_string(options.bootstrap.resamples) + " resamples, seed " + std::to_string(options.bootstrap.seed) +
      "): each resample draws the test patients with replacement and takes all their pairs, as the pairs of one "
      "patient are not independent. Majority class: the most frequent class of the training pairs, predicted for "
      "every pair. Stratified chance: classes drawn at the training frequencies (expected accuracy; F1 of the "
      "expected confusion matrix). The last column is a paired bootstrap of the run against the majority class on "
      "the same resamples; 'better' or 'worse' only when its interval excludes 0."));
}

// Groups by options.compare; every later group against the first, seeds pooled.
void comparison_section(const std::vector<RunData>& runs, const ReportOptions& options, std::vector<Block>& doc) {
  if (options.compare.empty()) return;
  const std::string& key = options.compare;
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string value = config_cell(runs[i].config, key);
    if (value == kMissing && key == "class_weights" && !runs[i].class_weights.empty()) value = runs[i].class_weights;
    LEARNER_CHECK(value != kMissing, "report: --compare ", key, ": run ", runs[i].dir, " has no '", key,
                  "' in its config.json");
    LEARNER_CHECK(runs[i].test_pairs.has_value(), "report: --compare ", key, ": run ", runs[i].dir,
                  " has no per-pair test predictions in eval.json; run `learner classify --run ", runs[i].dir,
                  "` first");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == value; });
    if (it == groups.end()) groups.push_back({value, {i}});
    else it->second.push_back(i);
  }
  LEARNER_CHECK(groups.size() >= 2, "report: --compare ", key, ": every run has ", key, " = ", groups[0].first,
                "; nothing to compare (give runs with at least two values)");
  doc.push_back(heading(2, "Comparisons by " + key));
  auto pooled = [&](const std::vector<size_t>& members) {
    PairOutcomes o = *runs[members[0]].test_pairs;
    for (size_t j = 1; j < members.size(); ++j)
      o.pairs.insert(o.pairs.end(), runs[members[j]].test_pairs->pairs.begin(), runs[members[j]].test_pairs->pairs.end());
    return o;
  };
  const PairOutcomes reference = pooled(groups[0].second);
  std::vector<std::vector<std::string>> rows = {
      {key, "runs", "macro F1 difference [95 % CI]", "accuracy difference, points [95 % CI]", "verdict"}};
  std::vector<std::string> lines;
  for (size_t g = 1; g < groups.size(); ++g) {
    const PairedDifference d = paired_difference(pooled(groups[g].second), reference, key + " " + groups[g].first,
                                                 key + " " + groups[0].first, options.bootstrap);
    rows.push_back({groups[g].first + " - " + groups[0].first,
                    std::to_string(groups[g].second.size()) + " vs " + std::to_string(groups[0].second.size()),
                    with_interval(d.macro_f1, d.macro_f1_ci, "%+.3f", 1),
                    with_interval(d.accuracy, d.accuracy_ci, "%+.1f", 100),
                    d.macro_f1_shown ? (d.macro_f1 > 0 ? "shown (higher)" : "shown (lower)") : "not shown"});
    lines.push_back("Verdict: " + verdict_line(d) + ".");
  }
  doc.push_back(table(rows));
  for (const std::string& line : lines) doc.push_back(paragraph(line));
  doc.push_back(paragraph(
      "Each group's test predictions are pooled over its runs (seeds). A paired bootstrap over test patients draws "
      "the patients once per resample and scores both groups on all their pairs; 'shown' only when the 95 % interval "
      "of the difference excludes 0. The interval covers the spread over test patients, not over training seeds: "
      "with few seeds, differences between seeds can still hide in it."));
}

void curves_section(const std::vector<RunData>& runs, std::vector<Block>& doc, std::vector<ReportFile>& files,
                    std::set<std::string>& taken) {
  std::vector<std::string> stages;
  std::map<std::string, std::vector<std::string>> fields, phases;  // per stage, first appearance
  auto add = [](std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  for (const RunData& run : runs)
    for (const MetricRecord& r : run.metrics) {
      const std::string stage = stage_of(r.phase);
      add(stages, stage);
      add(phases[stage], r.phase);
      for (const auto& [field, value] : r.values) add(fields[stage], field);
    }
  if (stages.empty()) return;
  doc.push_back(heading(2, "Training curves"));
  doc.push_back(paragraph("Colour: run. Line: solid train, dashed val, dotted test."));
  for (const std::string& stage : stages) {
    std::vector<std::string>& f = fields[stage];
    std::stable_sort(f.begin(), f.end(), [](const std::string& a, const std::string& b) {
      return field_rank(a) != field_rank(b) ? field_rank(a) < field_rank(b) : a < b;
    });
    doc.push_back(heading(3, stage));
    std::vector<Figure> row;
    for (const std::string& field : f) {
      LineChart chart;
      chart.title = stage + ": " + field;
      chart.x_label = "step";
      chart.y_label = field;
      for (size_t k = 0; k < runs.size(); ++k)
        for (const std::string& phase : phases[stage]) {
          Series s;
          s.name = runs.size() > 1 ? runs[k].name + " / " + split_of(phase) : split_of(phase);
          s.color = static_cast<int>(k);
          s.dash = dash_of(split_of(phase));
          for (const MetricRecord& r : runs[k].metrics)
            if (r.phase == phase)
              if (const auto v = r.values.find(field); v != r.values.end()) {
                s.x.push_back(static_cast<double>(r.step));
                s.y.push_back(v->second);
              }
          if (!s.x.empty()) chart.series.push_back(std::move(s));
        }
      const std::string file = unique_stem("curves_" + stage + "_" + field, taken) + ".svg";
      files.push_back({file, line_chart_svg(chart)});
      row.push_back({file, chart.title});
    }
    doc.push_back(figures(row));
  }
}

void embedding_section(const std::vector<RunData>& runs, const std::vector<std::string>& stems,
                       std::vector<Block>& doc, std::vector<ReportFile>& files, std::set<std::string>& taken) {
  std::vector<size_t> with;
  for (size_t i = 0; i < runs.size(); ++i)
    if (runs[i].embedding) with.push_back(i);
  if (with.empty()) return;
  doc.push_back(heading(2, "Embedding analysis (paper Fig. 1)"));
  doc.push_back(paragraph(
      "Cosine distance between the embeddings of two scans against the absolute difference of their health "
      "scores, over pairs of scans, with the Spearman rank correlation between the two. The paper's claim: with "
      "the contrastive term the distances spread out and follow the score difference."));
  std::vector<std::vector<std::string>> rows = {
      {"run", "split", "pairs", "Spearman", "cosine distance mean", "cosine distance std"}};
  std::vector<Figure> row;
  double max_diff = 0;
  for (const size_t i : with) {
    const EmbeddingPairs& e = *runs[i].embedding;
    double sum = 0, ss = 0;
    for (const auto& [d, h] : e.pairs) {
      sum += d;
      max_diff = std::max(max_diff, h);
    }
    const double n = static_cast<double>(e.pairs.size());
    const double mean = e.pairs.empty() ? NAN : sum / n;
    for (const auto& p : e.pairs) ss += (p.first - mean) * (p.first - mean);
    rows.push_back({runs[i].name, e.split, std::to_string(e.pairs.size()), format("%.3f", e.spearman),
                    format("%.4f", mean), e.pairs.size() > 1 ? format("%.4f", std::sqrt(ss / (n - 1))) : kMissing});
    DensityPlot plot;
    plot.title = runs[i].name + ": embedding distance vs score difference";
    plot.subtitle = "Spearman " + format("%.3f", e.spearman) + " over " + std::to_string(e.pairs.size()) +
                    " pairs (" + e.split + ")";
    plot.x_label = "|HS difference|";
    plot.y_label = "cosine distance";
    for (const auto& [d, h] : e.pairs) plot.points.emplace_back(h, d);
    const std::string file = unique_stem("fig1_" + stems[i], taken) + ".svg";
    files.push_back({file, density_plot_svg(plot)});
    row.push_back({file, plot.title});
  }
  doc.push_back(table(rows));
  if (with.size() > 1) {
    // All runs on one chart: mean cosine distance in 20 bins of |HS difference|.
    const int bins = 20;
    const double width = max_diff > 0 ? max_diff / bins : 1;
    LineChart chart;
    chart.title = "Mean cosine distance by |HS difference|";
    chart.x_label = "|HS difference| (bin centre)";
    chart.y_label = "mean cosine distance";
    for (const size_t i : with) {
      std::vector<double> sum(bins, 0), count(bins, 0);
      for (const auto& [d, h] : runs[i].embedding->pairs) {
        if (!std::isfinite(d) || !std::isfinite(h)) continue;
        const int b = std::clamp(static_cast<int>(h / width), 0, bins - 1);
        sum[b] += d;
        count[b] += 1;
      }
      Series s;
      s.name = runs[i].name;
      s.color = static_cast<int>(i);
      for (int b = 0; b < bins; ++b) {
        s.x.push_back((b + 0.5) * width);
        s.y.push_back(count[b] > 0 ? sum[b] / count[b] : NAN);
      }
      chart.series.push_back(std::move(s));
    }
    const std::string file = unique_stem("fig1_mean_by_hs_difference", taken) + ".svg";
    files.push_back({file, line_chart_svg(chart)});
    row.push_back({file, chart.title});
  }
  doc.push_back(figures(row));
}

void classification_section(const std::vector<RunData>& runs, const std::vector<std::string>& stems,
                            std::vector<Block>& doc, std::vector<ReportFile>& files, std::set<std::string>& taken) {
  if (std::none_of(runs.begin(), runs.end(), [](const RunData& r) { return r.eval.has_value(); })) return;
  doc.push_back(heading(2, "Pair classification on the test split"));
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].eval) continue;
    const ClassificationReport& r = *runs[i].eval;
    doc.push_back(heading(3, runs[i].name));
    ConfusionPlot plot;
    plot.title = runs[i].name + ": confusion matrix";
    plot.class_names = r.class_names;
    plot.matrix = r.confusion;
    const std::string file = unique_stem("confusion_" + stems[i], taken) + ".svg";
    files.push_back({file, confusion_matrix_svg(plot)});
    doc.push_back(figures({{file, plot.title}}));
    std::vector<std::vector<std::string>> rows = {{"class", "precision", "recall", "F1", "support"}};
    for (size_t c = 0; c < r.class_names.size(); ++c)
      rows.push_back({r.class_names[c], format("%.3f", r.precision[c]), format("%.3f", r.recall[c]),
                      format("%.3f", r.f1[c]), std::to_string(r.support[c])});
    doc.push_back(table(rows));
    doc.push_back(paragraph(std::to_string(r.num_samples) + " pairs: accuracy " + format("%.2f", 100 * r.accuracy) +
                            " %, macro F1 " + format("%.3f", r.macro_f1) + "."));
  }
}

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (const char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string to_markdown(const std::vector<Block>& doc) {
  std::string md;
  for (const Block& b : doc) {
    switch (b.kind) {
      case Block::Kind::Heading: md += std::string(b.level, '#') + " " + b.text + "\n\n"; break;
      case Block::Kind::Paragraph: md += b.text + "\n\n"; break;
      case Block::Kind::Code: md += "```json\n" + b.text + "\n```\n\n"; break;
      case Block::Kind::Figures:
        for (const Figure& f : b.figures) md += "![" + f.caption + "](" + f.file + ")\n";
        md += "\n";
        break;
      case Block::Kind::Table:
        for (size_t r = 0; r < b.rows.size(); ++r) {
          for (const std::string& cell : b.rows[r]) md += "| " + markdown_cell(cell) + " ";
          md += "|\n";
          if (r == 0) {
            for (size_t c = 0; c < b.rows[0].size(); ++c) md += "|---";
            md += "|\n";
          }
        }
        md += "\n";
        break;
    }
  }
  return md;
}

std::string to_html(const std::vector<Block>& doc, const std::vector<ReportFile>& files) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>learner report</title>\n"
      "<style>\nbody { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #222; }\n"
      "table { border-collapse: collapse; margin: 0.5em 0 1em 0; }\n"
      "th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }\n"
      "th { background: #f3f3f3; }\n"
      "figure { display: inline-block; margin: 0.5em; vertical-align: top; }\n"
      "figcaption { font-size: 0.85em; color: #555; }\n"
      "pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }\n</style>\n</head>\n<body>\n";
  for (const Block& b : doc) {
    switch (b.kind) {
      case Block::Kind::Heading: {
        const std::string tag = "h" + std::to_string(b.level);
        html += "<" + tag + ">" + xml_escape(b.text) + "</" + tag + ">\n";
        break;
      }
      case Block::Kind::Paragraph: html += "<p>" + xml_escape(b.text) + "</p>\n"; break;
      case Block::Kind::Code: html += "<pre>" + xml_escape(b.text) + "</pre>\n"; break;
      case Block::Kind::Figures:
        html += "<div>\n";
        for (const Figure& f : b.figures) {
          const auto it = std::find_if(files.begin(), files.end(), [&](const ReportFile& x) { return x.name == f.file; });
          html += "<figure>\n" + it->contents + "<figcaption>" + xml_escape(f.caption) + " (" + xml_escape(f.file) +
                  ")</figcaption>\n</figure>\n";
        }
        html += "</div>\n";
        break;
      case Block::Kind::Table:
        html += "<table>\n";
        for (size_t r = 0; r < b.rows.size(); ++r) {
          const char* cell = r == 0 ? "th" : "td";
          html += "<tr>";
          for (const std::string& c : b.rows[r]) html += std::string("<") + cell + ">" + xml_escape(c) + "</" + cell + ">";
          html += "</tr>\n";
        }
        html += "</table>\n";
        break;
    }
  }
  return html + "</body>\n</html>\n";
}

// Writes `contents` to `path` and fsyncs it; throws naming the path.
void write_synced(const std::string& path, const std::string& contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LEARNER_CHECK(fd >= 0, "report: cannot create ", path, ": ", std::strerror(errno));
  const char* p = contents.data();
  size_t left = contents.size();
  int error = 0;
  while (error == 0 && left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = w < 0 ? errno : EIO;
      break;
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  LEARNER_CHECK(error == 0, "report: writing ", path, " failed: ", std::strerror(error));
}

}  // namespace

std::vector<ReportFile> render_report(const std::vector<RunData>& input, const ReportOptions& options) {
  LEARNER_CHECK(!input.empty(), "report: no runs given");
  // Display names unique (two folders called "seed1" under different parents), file stems safe.
  std::vector<RunData> runs = input;
  std::vector<std::string> stems;
  std::set<std::string> names, stem_set, taken = {"report.md", "report.html"};
  for (RunData& run : runs) {
    std::string name = run.name;
    for (int i = 2; !names.insert(name).second; ++i) name = run.name + " (" + std::to_string(i) + ")";
    run.name = name;
    stems.push_back(unique_stem(name, stem_set));
  }

  std::vector<Block> doc;
  std::vector<ReportFile> files;
  doc.push_back(heading(1, "learner report"));
  std::string list;
  for (const RunData& run : runs) list += (list.empty() ? "" : ", ") + run.name + " (" + run.dir + ")";
  doc.push_back(paragraph(std::to_string(runs.size()) + (runs.size() == 1 ? " run: " : " runs: ") + list + "."));
  headline_section(runs, options, doc);
  comparison_section(runs, options, doc);
  summary_section(runs, options, doc);
  curves_section(runs, doc, files, taken);
  embedding_section(runs, stems, doc, files, taken);
  classification_section(runs, stems, doc, files, taken);

  doc.push_back(heading(2, "Runs"));
  for (const RunData& run : runs) {
    doc.push_back(heading(3, run.name));
    std::string text = "Folder " + run.dir + ": " + std::to_string(run.metrics.size()) + " metrics records.";
    for (const std::string& note : run.notes) text += " Note: " + note + ".";
    doc.push_back(paragraph(text));
    if (!run.config.empty()) doc.push_back(code(run.config.dump(2)));
  }

  files.push_back({"report.md", to_markdown(doc)});
  files.push_back({"report.html", to_html(doc, files)});
  return files;
}

std::vector<std::string> write_report(const std::vector<std::string>& run_dirs, const ReportOptions& options) {
  LEARNER_CHECK(!run_dirs.empty(), "report: give at least one run folder");
  LEARNER_CHECK(!options.out_dir.empty(), "report: --out DIR is required");
  std::vector<RunData> runs;
  for (const std::string& dir : run_dirs) runs.push_back(load_run(dir));
  const std::vector<ReportFile> files = render_report(runs, options);

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  LEARNER_CHECK(fs::is_directory(options.out_dir), "report: cannot create the output folder ", options.out_dir,
                ec ? ": " + ec.message() : std::string());
  // Everything goes to temporary names first; only when all are written do they take their
  // real names, so a failure leaves no half-written report (and no temporary files).
  const std::string suffix = ".tmp-" + std::to_string(::getpid());
  std::vector<std::string> temps, paths;
  try {
    for (const ReportFile& f : files) {
      const std::string path = (fs::path(options.out_dir) / f.name).string();
      temps.push_back((fs::path(options.out_dir) / ("." + f.name + suffix)).string());
      write_synced(temps.back(), f.contents);
      paths.push_back(path);
    }
  } catch (...) {
    for (const std::string& t : temps) ::unlink(t.c_str());
    throw;
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    if (::rename(temps[i].c_str(), paths[i].c_str()) == 0) continue;
    const std::string why = std::strerror(errno);
    for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
    throw Error(str("report: cannot rename ", temps[i], " to ", paths[i], ": ", why));
  }
  return paths;
}

std::vector<std::string> report_headlines(const std::vector<std::string>& run_dirs, const ReportOptions& options) {
  std::vector<std::string> lines;
  for (const std::string& dir : run_dirs) {
    const RunData run = load_run(dir);
    if (!run.eval || !run.test_pairs) continue;
    HonestReport h;
    h.report = *run.eval;
    std::vector<int64_t> labels;
    for (const PairOutcome& p : run.test_pairs->pairs) labels.push_back(p.label);
    h.baselines = compute_baselines(labels, run.train_support, run.test_pairs->num_classes);
    h.intervals = bootstrap_intervals(*run.test_pairs, options.bootstrap);
    h.bootstrap = options.bootstrap;
    lines.push_back(run.name + ": " + headline(h, "test"));
  }
  return lines;
}

}  // namespace learner::train
