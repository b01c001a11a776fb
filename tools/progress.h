// A progress bar with rate and ETA on stderr when it is a terminal; otherwise a plain line
// every 10 seconds (and at the end), so logs stay readable.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace learner::tools {

class Progress {
 public:
  Progress(std::string label, size_t total);
  // `done` of `total` items; `note` (e.g. "1234 frames") is shown after the counts.
  void update(size_t done, const std::string& note = "");
  void finish();  // ends the bar's line

 private:
  std::string label_;
  size_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

std::string format_duration(double seconds);  // "12s", "3m04s", "1h02m"

}  // namespace learner::tools
