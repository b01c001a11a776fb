// Progress reporting for long runs (see progress.h).
#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace learner::train {

std::string format_duration(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof(buf), "%llds", s);
  else if (s < 3600) std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(buf, sizeof(buf), "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

void Progress::update(int64_t done, const std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  const bool last = done >= total_;
  // A terminal redraws often; a log gets a line every 10 s, and the last one.
  if (!last && (tty_ ? printed_ && since_print < 0.1 : since_print < 10.0)) return;
  last_print_ = now;
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const std::string eta =
      done > 0 && !last
          ? format_duration(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done))
          : "-";
  const long long d = done, t = total_;
  if (tty_) {
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(static_cast<size_t>(width), '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %s  %s elapsed, ETA %s\x1b[K", label_.c_str(),
                 bar.c_str(), d, t, note.c_str(), format_duration(elapsed).c_str(), eta.c_str());
  } else {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%) %s, %s elapsed, ETA %s\n", label_.c_str(), d, t,
                 100.0 * fraction, note.c_str(), format_duration(elapsed).c_str(), eta.c_str());
  }
  std::fflush(stderr);
  printed_ = true;
}

void Progress::finish() {
  if (tty_ && printed_) std::fprintf(stderr, "\n");
}

}  // namespace learner::train
