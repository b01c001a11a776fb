// A one-line progress display for long runs (pretrain, pack, inspect): a bar with counts,
// elapsed time and ETA, redrawn in place on a terminal; on a log (not a terminal) a plain
// line every 10 seconds and at the end, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace learner::train {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  // `done` of `total` units are finished; `note` ("1234 frames", "loss 0.12") follows the counts.
  void update(int64_t done, const std::string& note = "");
  void finish();  // ends the bar's line

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

std::string format_duration(double seconds);  // "12s", "3m04s", "1h02m"

}  // namespace learner::train
