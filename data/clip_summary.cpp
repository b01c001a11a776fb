// Summary tables and the integrity check for clip stores.
#include "data/clip_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "data/labels.h"
#include "base/error.h"

namespace learner::data {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// Bin labels and the bin of a score: categories, or fifths of the range in band mode.
std::vector<std::string> bin_labels(const ScoreSpec& spec) {
  std::vector<std::string> labels;
  if (!spec.edges.empty()) {
    labels.push_back("<" + number(spec.edges.front()));
    for (size_t i = 1; i < spec.edges.size(); ++i) labels.push_back(number(spec.edges[i - 1]) + "-" + number(spec.edges[i]));
    labels.push_back(">=" + number(spec.edges.back()));
  } else {
    for (int i = 0; i < 5; ++i) {
      labels.push_back(number(spec.lo + (spec.hi - spec.lo) * i / 5.0) + "-" + number(spec.lo + (spec.hi - spec.lo) * (i + 1) / 5.0));
    }
  }
  return labels;
}

size_t bin_of(float score, const ScoreSpec& spec) {
  if (!spec.edges.empty()) return static_cast<size_t>(score_category(score, spec));
  const double t = normalized_target(score, spec);
  return static_cast<size_t>(std::clamp(static_cast<int>(std::floor(t * 5.0)), 0, 4));
}

}  // namespace

std::string score_spec_summary(const ScoreSpec& spec) {
  std::string s = "scores in [" + number(spec.lo) + ", " + number(spec.hi) + "], " +
                  (spec.higher_is_better ? "higher" : "lower") + " is better, ";
  if (spec.band >= 0.f) return s + "pairs labelled by a change band of " + number(spec.band);
  std::string cats;
  for (const std::string& l : bin_labels(spec)) cats += (cats.empty() ? "" : " | ") + l;
  return s + "categories " + cats;
}

std::string clip_summary(const std::vector<ScanRecord>& scans, const ScoreSpec& spec) {
  const std::vector<std::string> bins = bin_labels(spec);
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-6s %9s %7s %9s %7s %9s %5s %13s", "split", "patients", "scans", "frames",
                "pairs", "improved", "same", "deteriorated");
  out << line << "   scans by score:";
  for (const std::string& b : bins) out << " " << b;
  out << "\n";
  struct Row { std::set<std::string> patients; size_t scans = 0; int64_t frames = 0; size_t pairs[3] = {0, 0, 0}; std::vector<size_t> hist; };
  Row rows[4];
  for (Row& r : rows) r.hist.assign(bins.size(), 0);
  for (const ScanRecord& s : scans) {
    for (Row* r : {&rows[static_cast<int>(s.split)], &rows[3]}) {
      r->patients.insert(s.patient_id);
      ++r->scans;
      r->frames += s.frames;
      ++r->hist[bin_of(s.score, spec)];
    }
  }
  for (int k = 0; k < 3; ++k) {
    for (const ScanPair& p : consecutive_pairs(scans, static_cast<Split>(k), spec)) {
      ++rows[k].pairs[static_cast<int>(p.label)];
      ++rows[3].pairs[static_cast<int>(p.label)];
    }
  }
  for (int k = 0; k < 4; ++k) {
    const Row& r = rows[k];
    std::snprintf(line, sizeof(line), "%-6s %9zu %7zu %9lld %7zu %9zu %5zu %13zu", k < 3 ? split_name(static_cast<Split>(k)) : "all",
                  r.patients.size(), r.scans, static_cast<long long>(r.frames), r.pairs[0] + r.pairs[1] + r.pairs[2],
                  r.pairs[0], r.pairs[1], r.pairs[2]);
    out << line << "   ";
    for (size_t b = 0; b < bins.size(); ++b) out << (b ? " " : "") << r.hist[b];
    out << "\n";
  }
  return out.str();
}

std::vector<std::string> check_clip_store(const ClipStoreReader& reader, bool read_all_frames,
                                          const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> problems;
  const std::vector<ScanRecord>& scans = reader.scans();
  const ScoreSpec& spec = reader.score_spec();
  std::map<std::string, size_t> scan_ids;
  std::map<std::string, Split> patient_split;
  std::set<std::pair<std::string, int32_t>> orders;
  for (size_t i = 0; i < scans.size(); ++i) {
    const ScanRecord& s = scans[i];
    const std::string at = str("scan ", i, " ('", s.scan_id, "'): ");
    if (s.patient_id.empty()) problems.push_back(at + "empty patient id");
    if (s.scan_id.empty()) problems.push_back(at + "empty scan id");
    auto [it, fresh] = scan_ids.emplace(s.scan_id, i);
    if (!fresh) problems.push_back(str(at, "scan id also used by scan ", it->second));
    if (!std::isfinite(s.score) || s.score < spec.lo || s.score > spec.hi) {
      problems.push_back(str(at, "score ", s.score, " outside [", spec.lo, ", ", spec.hi, "]"));
    }
    auto [ps, first] = patient_split.emplace(s.patient_id, s.split);
    if (!first && ps->second != s.split) {
      problems.push_back(str(at, "patient '", s.patient_id, "' is in both ", split_name(ps->second), " and ", split_name(s.split)));
    }
    if (!orders.insert({s.patient_id, s.order}).second) {
      problems.push_back(str(at, "patient '", s.patient_id, "' has another scan with order ", s.order));
    }
    if (!std::isfinite(s.fps) || s.fps < 0) problems.push_back(str(at, "bad fps ", s.fps));
    if (!std::isfinite(s.pixel_spacing) || s.pixel_spacing < 0) problems.push_back(str(at, "bad pixel spacing ", s.pixel_spacing));
  }
  // Frame ranges must not overlap (the reader already checked that they lie inside 'frames'),
  // and every stored frame should belong to a scan.
  std::vector<std::pair<int64_t, size_t>> starts;
  int64_t covered = 0;
  for (size_t i = 0; i < scans.size(); ++i) {
    starts.emplace_back(reader.frame_offset(i), i);
    covered += scans[i].frames;
  }
  std::sort(starts.begin(), starts.end());
  for (size_t k = 1; k < starts.size(); ++k) {
    const size_t a = starts[k - 1].second, b = starts[k].second;
    if (starts[k - 1].first + scans[a].frames > starts[k].first) {
      problems.push_back(str("scans ", a, " and ", b, " ('", scans[a].scan_id, "', '", scans[b].scan_id, "') share frames"));
    }
  }
  if (covered < reader.total_frames()) {
    problems.push_back(str(reader.total_frames() - covered, " of the ", reader.total_frames(), " stored frames belong to no scan"));
  }
  if (read_all_frames) {
    const size_t frame_bytes = static_cast<size_t>(reader.channels()) * static_cast<size_t>(reader.height()) *
                               static_cast<size_t>(reader.width());
    std::vector<uint8_t> buffer;
    for (size_t i = 0; i < scans.size(); ++i) {
      std::vector<int64_t> all(static_cast<size_t>(scans[i].frames));
      for (size_t f = 0; f < all.size(); ++f) all[f] = static_cast<int64_t>(f);
      buffer.resize(all.size() * frame_bytes);
      try {
        reader.read_frames(i, all, buffer.data());
      } catch (const Error& e) {
        problems.push_back(str("scan ", i, " ('", scans[i].scan_id, "'): frames unreadable: ", e.what()));
      }
      if (progress) progress(i + 1, scans.size());
    }
  }
  return problems;
}

}  // namespace learner::data
