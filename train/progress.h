// A one-line progress display for training: a bar with ETA and the last numbers, redrawn
// in place on a terminal and printed as plain periodic lines otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace learner::train {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  // Reports that `done` of `total` units are finished; `info` is appended ("loss 0.12 ...").
  void update(int64_t done, const std::string& info);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12s"

}  // namespace learner::train
