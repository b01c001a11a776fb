// The fault drills of learner_dist_tests (see dist_test.h).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/dist/ranks/dist_test.h"

namespace learner::test {

int run_fault_drill(dist::Communicator& comm, const char* mode) {
  const std::string m = mode;
  if (m != "exit" && m != "throw" && m != "kill" && m != "stall") {
    std::fprintf(stderr, "LEARNER_DIST_FAULT=%s: expected exit, throw, kill or stall\n", mode);
    return 2;
  }
  const bool victim = comm.rank() == comm.world_size() - 1 && comm.world_size() > 1;
  Tensor t = Tensor::ones({1000});
  try {
    for (int step = 0; step < 2000000; ++step) {
      if (victim && step == 5) {
        std::fprintf(stderr, "fault drill: %s: '%s' at step %d\n", comm.describe().c_str(), mode, step);
        std::fflush(stderr);
        if (m == "exit") std::_Exit(3);
        if (m == "throw") throw Error("fault drill: an error on the last rank");
        if (m == "kill") raise(SIGKILL);
        std::this_thread::sleep_for(std::chrono::hours(1));
      }
      comm.all_reduce_average(t);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "fault drill: %s: %s\n", comm.describe().c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "fault drill: %s finished without noticing the fault\n", comm.describe().c_str());
  return 0;
}

}  // namespace learner::test
