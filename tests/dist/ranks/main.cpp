// learner_dist_tests: the multi-rank scenarios (tests/dist/dist_scenarios.h) on the communicator
// of the launcher, e.g. `mpirun -np 2 learner_dist_tests` (Mpi engine) or two processes with
// torchrun's variables (Tcp engine). Every rank runs every case; rank 0 reports, the others
// print only failures; the exit status is non-zero when any rank failed.
// With LEARNER_DIST_FAULT=exit|throw|kill|stall the program instead runs a fault drill
// (tests/dist/ranks/fault.cpp), driven by tests/dist/run_dist_tests.sh.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "parallel/grad_sync.h"
#include "tests/dist/ranks/dist_test.h"

namespace learner::test {
dist::Communicator* g_comm = nullptr;
}

int main(int argc, char** argv) {
  using namespace learner;
  std::unique_ptr<dist::Communicator> comm;
  try {
    comm = dist::make_communicator(Device::cpu());
    if (const char* mode = std::getenv("LEARNER_DIST_FAULT")) return test::run_fault_drill(*comm, mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "learner_dist_tests: %s\n", e.what());
    return 1;
  }
  test::g_comm = comm.get();
  doctest::Context context(argc, argv);
  if (!comm->is_root()) {
    context.setOption("minimal", true);
    context.setOption("no-colors", true);
  }
  const int failed = context.run();
  if (context.shouldExit()) return failed;
  const double failing_ranks = dist::sum_over_ranks({failed != 0 ? 1.0 : 0.0}, *comm)[0];
  if (comm->is_root())
    std::printf("learner_dist_tests: %s, %d rank(s) failed\n", comm->describe().c_str(),
                static_cast<int>(failing_ranks));
  return failing_ranks > 0 ? 1 : 0;
}
