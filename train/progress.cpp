// Progress bar rendering.
#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace learner::train {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  else std::snprintf(buf, sizeof buf, "%llds", (long long)s);
  return buf;
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total > 0 ? total : 1), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

void Progress::update(int64_t done, const std::string& info) {
  const auto now = std::chrono::steady_clock::now();
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  // A terminal redraws often; a log gets a line every 10 s, and the last one.
  if (done < total_ && since_print < (tty_ ? 0.2 : 10.0)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
  const int width = 24;
  const int filled = static_cast<int>(width * done / total_);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld  %s  eta %s%s", tty_ ? "\r" : "", label_.c_str(), bar.c_str(),
               (long long)done, (long long)total_, info.c_str(), format_duration(eta).c_str(),
               tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace learner::train
