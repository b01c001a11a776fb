// Decode flags of pack and predict.
#include "tools/decode_flags.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "base/error.h"

namespace learner::tools {

std::vector<double> parse_number_list(const std::string& text, const char* flag, const char* what) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    LEARNER_CHECK(!item.empty() && end == item.c_str() + item.size() && std::isfinite(v), flag, " takes ", what,
                  ", got '", text, "'");
    out.push_back(v);
  }
  LEARNER_CHECK(!out.empty(), flag, " takes ", what, ", got '", text, "'");
  return out;
}

void add_decode_flags(CLI::App* cmd, DecodeFlags& flags) {
  cmd->add_option("--slice-axis", flags.slice_axis, "NIfTI: axis whose slices become frames (0, 1, 2)")->capture_default_str();
  cmd->add_option("--window", flags.window, "percentiles LO,HI mapped to black and white for MRI / 16-bit data")->capture_default_str();
  cmd->add_option("--fit", flags.fit, "non-square frames: pad (black bars), crop (centre) or stretch")->capture_default_str();
}

void apply_decode_flags(const DecodeFlags& f, data::DecodeOptions& o) {
  LEARNER_CHECK(f.slice_axis >= 0 && f.slice_axis <= 2,
                "--slice-axis must be 0, 1 or 2 (the NIfTI axis whose slices become frames), got ", f.slice_axis);
  o.slice_axis = f.slice_axis;
  if (f.fit == "pad") o.fit = data::Fit::Pad;
  else if (f.fit == "crop") o.fit = data::Fit::Crop;
  else if (f.fit == "stretch") o.fit = data::Fit::Stretch;
  else throw Error(str("--fit must be pad, crop or stretch, got '", f.fit, "'"));
  const std::vector<double> window =
      parse_number_list(f.window, "--window", "two percentiles LO,HI with 0 <= LO < HI <= 100");
  LEARNER_CHECK(window.size() == 2 && window[0] >= 0 && window[0] < window[1] && window[1] <= 100,
                "--window takes two percentiles LO,HI with 0 <= LO < HI <= 100, got '", f.window, "'");
  o.window_low = static_cast<float>(window[0]);
  o.window_high = static_cast<float>(window[1]);
}

}  // namespace learner::tools
