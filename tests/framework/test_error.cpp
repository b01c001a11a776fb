// The two kinds of error: a user's mistake throws learner::Error with its message; a broken
// internal invariant aborts the process with file:line.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "base/error.h"

TEST_CASE("errors: LEARNER_CHECK throws a user's error, LEARNER_ASSERT aborts with file:line") {
  CHECK_THROWS_WITH_AS(LEARNER_CHECK(1 + 1 == 3, "bad flag --x=", 7), "bad flag --x=7",
                       learner::Error);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const rlimit no_core{0, 0};  // the abort is expected: no core file
    setrlimit(RLIMIT_CORE, &no_core);
    std::signal(SIGABRT, SIG_DFL);  // doctest's crash handler would report a failed case
    dup2(pipe_fds[1], STDERR_FILENO);
    LEARNER_ASSERT(1 + 1 == 3, "broken invariant ", 42);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  close(pipe_fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(text.find("internal error at ") != std::string::npos);
  CHECK(text.find("test_error.cpp:") != std::string::npos);
  CHECK(text.find("broken invariant 42") != std::string::npos);
}
