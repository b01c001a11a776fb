// The GDCM probe (data/sources/gdcm_probe.h): one fork per DICOM file read, a few
// milliseconds next to decoding it.
#include "data/sources/gdcm_probe.h"

#include <gdcmImageReader.h>
#include <gdcmTrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/error.h"

namespace learner::data::sources {

void check_gdcm_survives(const std::string& path) {
  const pid_t pid = ::fork();
  LEARNER_CHECK(pid >= 0, "cannot fork to read DICOM '", path, "' safely: ", std::strerror(errno));
  if (pid == 0) {
    // The child only reads and exits: _exit skips our atexit handlers and stream flushes.
    // Handlers a sanitizer or fuzzer installed would turn the signal into an exit code.
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
    gdcm::ImageReader reader;
    reader.SetFileName(path.c_str());
    ::_exit(reader.Read() ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    LEARNER_CHECK(errno == EINTR, "waiting for the DICOM reader of '", path, "' failed: ", std::strerror(errno));
  }
  if (WIFSIGNALED(status)) {
    throw Error(str("DICOM '", path, "' is damaged: GDCM, the DICOM library, dies reading it (", strsignal(WTERMSIG(status)),
                    "); copy or export the file again from its source"));
  }
}

}  // namespace learner::data::sources
