// A timer thread that ends the job when a blocking collective outlives its deadline: a peer
// that died or hangs must not hang this rank forever (the MPI and TCP engines arm it around
// every blocking call; NCCL has its own poller in nccl_engine_cuda.cpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace learner::dist {

class Watchdog {
 public:
  // Called once, on the watchdog thread, with a message naming `who` and the collective.
  using Expire = std::function<void(const std::string& message)>;
  // Prints the message to stderr and ends the process at once with status 1 (std::_Exit:
  // the main thread may be blocked inside MPI, so no MPI call is safe from here; the
  // launcher sees a rank exit without finalising and ends the others).
  static void exit_process(const std::string& message);

  Watchdog(std::string who, double timeout_s, Expire on_expire = exit_process);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Armed while alive: `what` must finish within the timeout.
  class Armed {
   public:
    explicit Armed(Watchdog& dog) : dog_(dog) {}
    ~Armed() { dog_.disarm(); }
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    Watchdog& dog_;
  };
  [[nodiscard]] Armed arm(const char* what);

  double timeout_s() const { return timeout_s_; }

 private:
  void disarm();
  void loop();

  std::string who_;
  double timeout_s_;
  Expire on_expire_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  bool armed_ = false;
  const char* what_ = "";
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

}  // namespace learner::dist
