// Shared state of learner_dist_tests: the process's communicator and the fault drills.
#pragma once

#include "parallel/communicator.h"

namespace learner::test {

extern dist::Communicator* g_comm;  // set by main before the cases run

// Runs rank 0 in a loop of all-reduces while the last rank fails after a few:
//   exit:  std::_Exit(3)          throw: a learner::Error ends main with status 1
//   kill:  SIGKILL to itself      stall: sleeps (alive, silent) for an hour
// Returns the exit status of this rank (rank 0 should never return: it must be ended by the
// launcher or its own timeout); the driver script checks that the job ends non-zero in time.
int run_fault_drill(dist::Communicator& comm, const char* mode);

}  // namespace learner::test
