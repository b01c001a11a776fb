// SIGINT/SIGTERM handling for long runs: the first signal asks the loop to stop after the
// current step (it then saves a checkpoint and exits cleanly); a second one exits at once.
#pragma once

namespace learner::train {

void install_stop_handlers();
bool stop_requested();
int stop_signal();  // the signal that asked to stop (SIGINT, SIGTERM), 0 if none

}  // namespace learner::train
