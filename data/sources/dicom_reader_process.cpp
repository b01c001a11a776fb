// learner-dicom-reader, started once per DICOM file (dicom_reader_process.h): a few
// milliseconds next to decoding the file. Its answer comes back through a pipe, its stderr
// through another (GDCM's assert messages name what it tripped on).
#include "data/sources/dicom_reader_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "data/sources/dicom_image.h"

extern char** environ;

namespace learner::data::sources {
namespace {

constexpr char kAnswered = 'o', kRefused = 'e';
constexpr const char* kReaderName = "learner-dicom-reader";
constexpr const char* kWhatToDo = "; copy or export the file again from its source";

// A pipe end, closed once on every path out.
class Fd {
 public:
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }
  int get() const { return fd_; }
  void reset(int fd) {
    close();
    fd_ = fd;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

void open_pipe(Fd& read_end, Fd& write_end, const std::string& path) {
  int ends[2];
  LEARNER_CHECK(::pipe2(ends, O_CLOEXEC) == 0, "cannot open a pipe to read DICOM '", path, "': ", std::strerror(errno));
  read_end.reset(ends[0]);
  write_end.reset(ends[1]);
}

// posix_spawn's file actions, destroyed on every path out.
class FileActions {
 public:
  FileActions() { LEARNER_CHECK(::posix_spawn_file_actions_init(&actions_) == 0, "posix_spawn_file_actions_init failed"); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  void dup_to(int fd, int target) {
    LEARNER_CHECK(::posix_spawn_file_actions_adddup2(&actions_, fd, target) == 0, "posix_spawn_file_actions_adddup2 failed");
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Reads both pipes to their ends, as the reader writes them (either may fill first).
void read_both(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* into[2] = {&out, &err};
  int open = 2;
  char block[1 << 16];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(str("waiting for learner-dicom-reader failed: ", std::strerror(errno)));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, block, sizeof(block));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      } else {
        into[i]->append(block, static_cast<size_t>(got));
      }
    }
  }
}

// The reader's last line on stderr, for the message; GDCM's asserts end with one.
std::string last_words(std::string err) {
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  const size_t from = err.find_last_of('\n');
  err = from == std::string::npos ? err : err.substr(from + 1);
  if (err.size() > 300) err = err.substr(0, 300) + "...";
  return err.empty() ? "" : ": " + err;
}

}  // namespace

uint64_t dicom_reader_memory_budget(const DicomLayout& layout) {
  constexpr uint64_t kGdcmItself = 512ull << 20;
  // The file in GDCM's data set and its stream; the decoded pixels in GDCM's buffer, ours,
  // as floats (4 bytes for each 8-bit sample) and in the answer (as many again).
  return kGdcmItself + 2 * layout.file_bytes + 12 * layout.image_bytes;
}

std::string dicom_reader_executable() {
  namespace fs = std::filesystem;
  if (const char* chosen = std::getenv("LEARNER_DICOM_READER"); chosen != nullptr && *chosen != '\0') {
    LEARNER_CHECK(::access(chosen, X_OK) == 0, "LEARNER_DICOM_READER names '", chosen,
                  "', which is no executable; point it at the learner-dicom-reader of your build, or unset it");
    return chosen;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& dir : {self.parent_path(), self.parent_path().parent_path()}) {
      const fs::path candidate = dir / kReaderName;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw Error(str("cannot read DICOM files: ", kReaderName, " (which learner starts to read each one) is not next to ",
                  ec ? std::string("this program") : self.string(),
                  "; build it with `make` (it is part of every build), or set LEARNER_DICOM_READER to its path"));
}

std::string run_dicom_reader(const std::string& path, uint64_t memory_budget) {
  const std::string reader = dicom_reader_executable();
  const std::string budget = std::to_string(memory_budget);
  Fd out_read, out_write, err_read, err_write;
  open_pipe(out_read, out_write, path);
  open_pipe(err_read, err_write, path);
  FileActions actions;
  actions.dup_to(out_write.get(), STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
  actions.dup_to(err_write.get(), STDERR_FILENO);
  char* argv[] = {const_cast<char*>(reader.c_str()), const_cast<char*>(path.c_str()), const_cast<char*>(budget.c_str()),
                  nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, reader.c_str(), actions.get(), nullptr, argv, environ);
  LEARNER_CHECK(spawned == 0, "cannot start ", reader, " to read DICOM '", path, "': ", std::strerror(spawned));
  out_write.close();
  err_write.close();
  std::string out, err;
  try {
    read_both(out_read.get(), err_read.get(), out, err);
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    LEARNER_CHECK(errno == EINTR, "waiting for the DICOM reader of '", path, "' failed: ", std::strerror(errno));
  }
  if (WIFSIGNALED(status)) {
    throw Error(str("DICOM '", path, "' is damaged: GDCM, the DICOM library, dies reading it (", strsignal(WTERMSIG(status)),
                    last_words(err), ")", kWhatToDo));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty()) {
    throw DicomReaderFailure(str("DICOM '", path, "' could not be read: ", kReaderName, " ended with exit status ",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, " and no answer", last_words(err)));
  }
  if (out[0] == kRefused) throw Error(out.substr(1));
  if (out[0] != kAnswered) {
    throw DicomReaderFailure(
        str("the DICOM reader's answer for '", path, "' is garbled (", kReaderName, " of another build?)"));
  }
  return out.substr(1);
}

}  // namespace learner::data::sources
