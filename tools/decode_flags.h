// The flags that say how imaging files are decoded (--fit, --window, --slice-axis), shared
// by `learner pack` and `learner predict` so that new scans can be read exactly as the
// training scans were. Frame size and channels are the caller's own.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "data/sources/source.h"

namespace learner::tools {

struct DecodeFlags {
  std::string fit = "pad", window = "0.5,99.5";
  int slice_axis = 2;
};

void add_decode_flags(CLI::App* cmd, DecodeFlags& flags);

// Checks the flags (errors name the flag and what it takes) and sets them in `options`.
void apply_decode_flags(const DecodeFlags& flags, data::DecodeOptions& options);

// "a,b,c" -> numbers; `flag` and `what` make the one-line error.
std::vector<double> parse_number_list(const std::string& text, const char* flag, const char* what);

}  // namespace learner::tools
