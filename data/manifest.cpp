// The manifest CSV parser (RFC 4180 quoting) and its per-field checks.
#include "data/manifest.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "base/error.h"

namespace learner::data {
namespace {

struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits CSV text into records; a quoted field may hold commas, newlines and "" (one quote).
// Unquoted fields are trimmed. Records with only empty fields are dropped (blank lines).
std::vector<CsvRecord> split_csv(const std::string& text, const std::string& name) {
  std::vector<CsvRecord> records;
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // UTF-8 byte order mark
  int line = 1;
  CsvRecord record{line, {}};
  std::string field;
  bool quoted = false, field_was_quoted = false;
  auto end_field = [&] {
    record.fields.push_back(field_was_quoted ? field : trim(field));
    field.clear();
    field_was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = true;
    for (const std::string& f : record.fields) blank = blank && f.empty();
    if (!blank) records.push_back(std::move(record));
    record = CsvRecord{line, {}};
  };
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && trim(field).empty()) {
      quoted = true;
      field_was_quoted = true;
      field.clear();
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      end_record();
    } else if (!(field_was_quoted && (c == ' ' || c == '\t'))) {
      field += c;
    }
  }
  LEARNER_CHECK(!quoted, name, " line ", record.line, ": a quoted field is not closed (missing '\"')");
  end_record();
  return records;
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  return v;
}

bool is_iso_date(const std::string& s) {
  if (s.size() < 10) return false;
  for (int i = 0; i < 10; ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(s[static_cast<size_t>(i)])) != 0;
    if ((i == 4 || i == 7) ? s[static_cast<size_t>(i)] != '-' : !digit) return false;
  }
  return s.size() == 10 || s[10] == 'T' || s[10] == ' ';
}

const char* const kRequired[] = {"patient_id", "scan_id", "order", "score", "path"};
const char* const kOptional[] = {"date", "modality", "fps", "pixel_spacing"};

}  // namespace

Manifest parse_manifest(const std::string& text, const std::string& manifest_name, const std::string& base_dir,
                        bool skip_bad_rows, ScoreColumn score_column) {
  const bool score_optional = score_column == ScoreColumn::Optional;
  Manifest manifest;
  manifest.path = manifest_name;
  const std::vector<CsvRecord> records = split_csv(text, manifest_name);
  LEARNER_CHECK(!records.empty(), manifest_name,
                " is empty; it needs a header line with patient_id, scan_id, order, score, path");
  const CsvRecord& header = records[0];
  std::map<std::string, size_t> column;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string key = lower(trim(header.fields[c]));
    LEARNER_CHECK(column.emplace(key, c).second, manifest_name, " line ", header.line, ": column '", key,
                  "' appears twice in the header");
  }
  for (const char* name : kRequired) {
    if (column.count(name) == 0 && !(score_optional && std::strcmp(name, "score") == 0)) {
      std::string have;
      for (const std::string& f : header.fields) have += (have.empty() ? "" : ", ") + f;
      throw Error(str(manifest_name, " line ", header.line, ": missing required column '", name,
                      "' (the header has: ", have, "); required columns are patient_id, scan_id, order, score, path"));
    }
  }
  for (const auto& [key, c] : column) {
    bool known = false;
    for (const char* name : kRequired) known = known || key == name;
    for (const char* name : kOptional) known = known || key == name;
    if (!known) manifest.ignored_columns.push_back(header.fields[c]);
  }

  std::map<std::string, int> scan_lines;                     // scan id -> line
  std::map<std::pair<std::string, int>, int> order_lines;    // (patient, order) -> line
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    try {
      auto where = [&](const char* col) { return str(manifest_name, " line ", rec.line, ", column '", col, "': "); };
      LEARNER_CHECK(rec.fields.size() == header.fields.size(), manifest_name, " line ", rec.line, ": ",
                    rec.fields.size(), " fields but the header has ", header.fields.size(),
                    " (quote fields that contain commas)");
      auto get = [&](const char* col) -> std::string {
        auto it = column.find(col);
        return it == column.end() ? std::string() : rec.fields[it->second];
      };
      ManifestRow row;
      row.line = rec.line;
      ScanRecord& s = row.record;
      for (const char* col : kRequired) {
        if (score_optional && std::strcmp(col, "score") == 0) continue;
        LEARNER_CHECK(!get(col).empty(), where(col), "is empty");
      }
      s.patient_id = get("patient_id");
      s.scan_id = get("scan_id");
      const std::string order = get("order");
      char* end = nullptr;
      errno = 0;
      const long order_value = std::strtol(order.c_str(), &end, 10);
      LEARNER_CHECK(end == order.c_str() + order.size() && errno == 0 && order_value >= INT32_MIN &&
                        order_value <= INT32_MAX,
                    where("order"), "'", order, "' is not an integer; give each scan's position within its patient (1, 2, ...)");
      s.order = static_cast<int32_t>(order_value);
      const std::string score = get("score");
      if (score.empty() && score_optional) {
        row.has_score = false;
      } else {
        const std::optional<double> score_value = parse_number(score);
        LEARNER_CHECK(score_value.has_value(), where("score"), "'", score, "' is not a number");
        LEARNER_CHECK(std::isfinite(*score_value), where("score"), "'", score,
                      "' is not a finite number; give every scan a measured score or leave the scan out");
        s.score = static_cast<float>(*score_value);
      }
      s.source_path = get("path");
      const std::filesystem::path p(s.source_path);
      row.resolved_path = p.is_absolute() || base_dir.empty() ? s.source_path : (std::filesystem::path(base_dir) / p).string();
      s.date = get("date");
      LEARNER_CHECK(s.date.empty() || is_iso_date(s.date), where("date"), "'", s.date,
                    "' is not an ISO 8601 date; write it as YYYY-MM-DD");
      s.modality = lower(get("modality"));
      for (const char* col : {"fps", "pixel_spacing"}) {
        const std::string v = get(col);
        if (v.empty()) continue;
        const std::optional<double> value = parse_number(v);
        LEARNER_CHECK(value.has_value() && std::isfinite(*value) && *value > 0, where(col), "'", v,
                      "' is not a positive number (leave it empty when unknown)");
        (std::strcmp(col, "fps") == 0 ? s.fps : s.pixel_spacing) = static_cast<float>(*value);
      }
      auto dup = scan_lines.find(s.scan_id);
      LEARNER_CHECK(dup == scan_lines.end(), where("scan_id"), "duplicate scan id '", s.scan_id, "' (first on line ",
                    dup == scan_lines.end() ? 0 : dup->second, "); scan ids must be unique");
      auto same_order = order_lines.find({s.patient_id, s.order});
      LEARNER_CHECK(same_order == order_lines.end(), where("order"), "patient '", s.patient_id,
                    "' already has a scan with order ", s.order, " (line ",
                    same_order == order_lines.end() ? 0 : same_order->second, "); orders must differ within a patient");
      scan_lines.emplace(s.scan_id, rec.line);
      order_lines.emplace(std::make_pair(s.patient_id, s.order), rec.line);
      manifest.rows.push_back(std::move(row));
    } catch (const Error& e) {
      if (!skip_bad_rows) throw;
      manifest.skipped.push_back({rec.line, e.what()});
    }
  }
  return manifest;
}

Manifest read_manifest(const std::string& path, bool skip_bad_rows, ScoreColumn score_column) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(str("cannot read manifest '", path, "': ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  const std::string base = std::filesystem::path(path).parent_path().string();
  return parse_manifest(text.str(), path, base.empty() ? "." : base, skip_bad_rows, score_column);
}

void check_manifest_scores(Manifest& manifest, const ScoreSpec& spec, bool skip_bad_rows) {
  std::vector<ManifestRow> kept;
  for (ManifestRow& row : manifest.rows) {
    const float score = row.record.score;
    if (!row.has_score || (score >= spec.lo && score <= spec.hi)) {
      kept.push_back(std::move(row));
      continue;
    }
    const std::string message = str(manifest.path, " line ", row.line, ", column 'score': ", score,
                                    " lies outside the score range [", spec.lo, ", ", spec.hi,
                                    "]; fix the score or pass --score-range LO,HI");
    if (!skip_bad_rows) throw Error(message);
    manifest.skipped.push_back({row.line, message});
  }
  manifest.rows = std::move(kept);
}

}  // namespace learner::data
