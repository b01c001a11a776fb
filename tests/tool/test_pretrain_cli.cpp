// `learner pretrain` end to end on a tiny synthetic cohort: resume after a stop, after
// SIGTERM and after kill -9 reaches the same bits as an uninterrupted run; bad input fails
// with a clear message.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

// The cases' cohort: 8 synthetic patients at 32 px, 70 % of them training.
const std::string& cohort() { return test::tiny_packed_cohort("0.7,0.3,0"); }

std::string pretrain(const std::string& out, const std::string& extra) {
  return test::learner_binary() + " pretrain --data " + cohort() + " --out " + out +
         " --frames 4 --batch 4 --epochs 3 --validate 0 --workers 1 --device cpu " + extra;
}

int64_t steps_logged(const std::string& metrics) {
  std::ifstream in(metrics);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find("\"phase\":\"train\"") != std::string::npos;
  return n;
}

// Starts `command` through the shell without waiting for it.
pid_t start_in_background(const std::string& command) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits (at most two minutes) until the run has logged `steps` training steps.
void wait_for_steps(const std::string& metrics, int64_t steps) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (steps_logged(metrics) < steps && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

TEST_CASE("pretrain: stop at N/2 steps, resume to N: the same bits as N straight") {
  test::TempDir dir("pretrain_resume");
  auto straight = run_command(pretrain(dir / "straight", "--steps 6"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);
  auto half = run_command(pretrain(dir / "half", "--steps 3"));
  REQUIRE_MESSAGE(half.exit_code == 0, half.output);
  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "half") + " --steps 6");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.output.find("resumed from") != std::string::npos);
  CHECK(test::read_file(dir / "half/checkpoints/last.safetensors") == test::read_file(dir / "straight/checkpoints/last.safetensors"));
  CHECK(steps_logged(dir / "half/metrics.jsonl") == 6);
}

TEST_CASE("pretrain: kill -9 mid-run, resume: the same bits as an uninterrupted run") {
  test::TempDir dir("pretrain_kill");
  auto straight = run_command(pretrain(dir / "straight", "--steps 8"));
  REQUIRE_MESSAGE(straight.exit_code == 0, straight.output);

  const pid_t pid =
      start_in_background(pretrain(dir / "killed", "--steps 8 --save-every 1") + " > " + (dir / "log") + " 2>&1");
  wait_for_steps(dir / "killed/metrics.jsonl", 3);  // a checkpoint is saved every step
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));  // it was still running: the kill interrupted it

  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "killed"));
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(test::read_file(dir / "killed/checkpoints/last.safetensors") ==
        test::read_file(dir / "straight/checkpoints/last.safetensors"));
  CHECK(steps_logged(dir / "killed/metrics.jsonl") == 8);
}

TEST_CASE("pretrain: SIGTERM saves once and exits cleanly; resume completes") {
  test::TempDir dir("pretrain_term");
  const pid_t pid = start_in_background(pretrain(dir / "run", "--steps 8") + " > " + (dir / "log") + " 2>&1");
  wait_for_steps(dir / "run/metrics.jsonl", 2);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  const std::string log = test::read_file(dir / "log");
  if (WEXITSTATUS(status) == 0) {
    MESSAGE("the run finished before SIGTERM arrived; nothing to check");
    return;
  }
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(log.find("stopped by signal") != std::string::npos);
  CHECK(test::file_exists(dir / "run/checkpoints/last.safetensors"));
  auto resumed = run_command(test::learner_binary() + " pretrain --resume --out " + (dir / "run"));
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(steps_logged(dir / "run/metrics.jsonl") == 8);
}

TEST_CASE("pretrain: bad input is one clear line and a non-zero exit") {
  test::TempDir dir("pretrain_bad");
  const std::string b = test::learner_binary();
  auto missing = run_command(b + " pretrain --data " + (dir / "nope.h5") + " --out " + (dir / "r"));
  CHECK(missing.exit_code != 0);
  CHECK(missing.output.find("nope.h5") != std::string::npos);

  auto bad_loss = run_command(pretrain(dir / "r2", "--loss triplet"));
  CHECK(bad_loss.exit_code != 0);
  CHECK(bad_loss.output.find("--loss: triplet not in {cl,mse,wcl}") != std::string::npos);

  auto big_batch = run_command(b + " pretrain --data " + cohort() + " --out " + (dir / "r3") + " --batch 500");
  CHECK(big_batch.exit_code != 0);
  CHECK(big_batch.output.find("fewer than --batch 500") != std::string::npos);

  auto nan = run_command(pretrain(dir / "r4", "--lr 1e30 --steps 4"));
  CHECK(nan.exit_code != 0);
  CHECK(nan.output.find("at step") != std::string::npos);
  CHECK(nan.output.find("scans") != std::string::npos);

  auto no_run = run_command(b + " pretrain --resume --data " + cohort() + " --out " + (dir / "empty"));
  CHECK(no_run.exit_code != 0);
  CHECK(no_run.output.find("holds no run to resume") != std::string::npos);

  test::write_text(dir / "cfg.json", R"({"data": ")" + cohort() + R"(", "bogus_flag": 3})");
  auto bad_cfg = run_command(b + " pretrain --config " + (dir / "cfg.json") + " --out " + (dir / "r5"));
  CHECK(bad_cfg.exit_code != 0);
  CHECK(bad_cfg.output.find("'bogus_flag' is not a flag of `pretrain`") != std::string::npos);
}

TEST_CASE("pretrain: verification mode and a config file whose values flags override") {
  test::TempDir dir("pretrain_verify");
  test::write_text(dir / "cfg.json", R"({"data": ")" + cohort() + R"(", "frames": 4, "batch": 4, "lr": 0.5,
    "shuffle": false, "augment": false, "sampling": "center", "device": "cpu", "validate": false})");
  auto run = run_command(test::learner_binary() + " pretrain --config " + (dir / "cfg.json") + " --out " +
                         (dir / "v") + " --lr 0.0001 --steps 2");
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  const std::string config = test::read_file(dir / "v/config.json");
  CHECK(config.find("\"sampling\": \"center\"") != std::string::npos);
  CHECK(config.find("\"lr\": 9.99") != std::string::npos);  // 1e-4 as a float
  CHECK(test::file_exists(dir / "v/checkpoints/best.safetensors"));
}

TEST_CASE("pretrain: SIGTERM to the ranks of an mpirun job stops every rank at one step; rank 0 saves once; resume continues") {
  test::TempDir dir("pretrain_mpi_term");
  const std::string run = dir / "run";
  // Open MPI's own grace period (odls_base_sigkill_timeout, 1 s): the ranks wait for rank 0's
  // save before any exits, so the first rank to leave cannot get the others killed mid-save.
  const pid_t pid = start_in_background("mpirun --allow-run-as-root --oversubscribe -np 2 " + test::learner_binary() +
                                        " pretrain --data " + cohort() + " --out " + run +
                                        " --frames 4 --batch 4 --epochs 50 --validate 0 --workers 1 --device cpu > " +
                                        (dir / "log") + " 2>&1");
  wait_for_steps(run + "/metrics.jsonl", 2);
  // SIGTERM to the ranks, as a scheduler (Slurm's scancel) sends it to every task. mpirun's own
  // forwarding was seen here to miss the signal now and then (the job ran to its end), which
  // made this test depend on the machine; a signal seen by any rank still stops every rank.
  auto signalled = run_command("pkill -TERM -f '^" + test::learner_binary() + " pretrain .*--out " + run + " '");
  REQUIRE_MESSAGE(signalled.exit_code == 0, "no rank process found to signal: ", signalled.output);
  const auto signalled_at = std::chrono::steady_clock::now();
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  // Within a step, a save and Open MPI's grace period (twice 1 s) on a loaded machine.
  const double ended_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled_at).count();
  CHECK_MESSAGE(ended_after < 40, "the job took ", ended_after, " s to end after SIGTERM");
  // The run folder's own log: mpirun may exit before it has forwarded the ranks' last lines.
  const std::string log = test::read_file(run + "/log.txt");
  CHECK_MESSAGE(log.find("stopped by signal 15") != std::string::npos, log, test::read_file(dir / "log"));
  REQUIRE(test::file_exists(run + "/checkpoints/last.safetensors"));
  for (const auto& entry : std::filesystem::directory_iterator(run + "/checkpoints"))
    CHECK_MESSAGE(entry.path().string().find(".tmp") == std::string::npos, "a half-written checkpoint: ", entry.path());
  const int64_t stopped_at = steps_logged(run + "/metrics.jsonl");
  auto resumed = run_command("mpirun --allow-run-as-root --oversubscribe -np 2 " + test::learner_binary() +
                             " pretrain --resume --out " + run + " --steps " + std::to_string(stopped_at + 2));
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.output.find("resumed from") != std::string::npos);
  CHECK(steps_logged(run + "/metrics.jsonl") == stopped_at + 2);
}
