// Async-signal-safe stop flag.
#include "train/stop_signal.h"

#include <csignal>
#include <unistd.h>

namespace learner::train {

namespace {
volatile std::sig_atomic_t g_signal = 0;

void on_signal(int signal) {
  if (g_signal != 0) _exit(128 + signal);  // second signal: the user means it
  g_signal = signal;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_signal != 0; }
int stop_signal() { return g_signal; }

}  // namespace learner::train
