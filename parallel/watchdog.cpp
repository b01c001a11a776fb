// The collective timeout thread (see watchdog.h).
#include "parallel/watchdog.h"

#include <cstdio>
#include <cstdlib>

#include "base/error.h"

namespace learner::dist {

void Watchdog::exit_process(const std::string& message) {
  std::fprintf(stderr, "learner: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

Watchdog::Watchdog(std::string who, double timeout_s, Expire on_expire)
    : who_(std::move(who)), timeout_s_(timeout_s), on_expire_(std::move(on_expire)) {
  LEARNER_CHECK(timeout_s > 0, who_, ": the collective timeout must be positive, got ", timeout_s,
                " s");
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Watchdog::Armed Watchdog::arm(const char* what) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    what_ = what;
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(timeout_s_));
  }
  changed_.notify_all();
  return Armed(*this);
}

void Watchdog::disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (!armed_) {
      changed_.wait(lock);
      continue;
    }
    const auto deadline = deadline_;
    if (changed_.wait_until(lock, deadline) != std::cv_status::timeout) continue;
    if (stop_ || !armed_ || deadline_ != deadline) continue;  // finished or re-armed meanwhile
    armed_ = false;
    const std::string message =
        str(who_, ": ", what_, " did not finish within ", timeout_s_,
            " s: a peer rank died or is stuck (raise LEARNER_DIST_TIMEOUT if it is only slow); "
            "ending the job");
    lock.unlock();
    on_expire_(message);
    lock.lock();
  }
}

}  // namespace learner::dist
