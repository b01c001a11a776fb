// Run folder creation, metrics and logs.
#include "train/run_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "train/tfevents.h"

namespace learner::train {

namespace {
bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path) {
  std::string partial;
  std::stringstream parts(path);
  std::string part;
  if (!path.empty() && path[0] == '/') partial = "/";
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    partial += part + "/";
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      throw Error(str("cannot create folder '", partial, "': ", std::strerror(errno)));
  }
}
}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  LEARNER_CHECK(fd >= 0, "cannot create '", tmp, "': ", std::strerror(errno));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    throw Error(str("cannot write '", path, "': ", std::strerror(saved)));
  }
}

RunFolder::RunFolder(const std::string& path, FolderMode mode, bool writer) : path_(path), writer_(writer) {
  if (!writer_) return;
  const bool has_run = exists(file("config.json"));
  if (mode == FolderMode::Fresh) {
    LEARNER_CHECK(!has_run, "'", path, "' already holds a run (config.json); pass --resume to continue ",
                  "it, or choose another --out");
  } else {
    LEARNER_CHECK(has_run, "--resume: '", path, "' holds no run to resume (no config.json)");
  }
  make_dirs(path + "/checkpoints");
  metrics_.open(file("metrics.jsonl"), std::ios::app);
  log_.open(file("log.txt"), std::ios::app);
  LEARNER_CHECK(metrics_ && log_, "cannot write into run folder '", path, "'");
  events_ = std::make_unique<EventWriter>(path);
}

RunFolder::~RunFolder() = default;

std::string RunFolder::file(const std::string& name) const { return path_ + "/" + name; }

std::string RunFolder::checkpoint_path(const std::string& name) const {
  return path_ + "/checkpoints/" + name + ".safetensors";
}

void RunFolder::write_config(const std::string& json_text) {
  if (writer_) write_file_atomic(file("config.json"), json_text + "\n");
}

void RunFolder::log_metrics(int64_t step, int64_t epoch, const std::string& phase, const nlohmann::json& values) {
  if (!writer_) return;
  nlohmann::json line = {{"step", step}, {"epoch", epoch}, {"phase", phase}};
  for (auto it = values.begin(); it != values.end(); ++it) {
    line[it.key()] = it.value();
    if (it.value().is_number()) events_->add_scalar(phase + "/" + it.key(), it.value().get<float>(), step);
  }
  metrics_ << line.dump() << "\n";
  metrics_.flush();
}

void RunFolder::log(const std::string& line) {
  if (!writer_) return;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  log_ << line << "\n";
  log_.flush();
}

void RunFolder::truncate_metrics_after(int64_t step) {
  if (!writer_) return;
  metrics_.close();
  std::ifstream in(file("metrics.jsonl"));
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("step") && j["step"].get<int64_t>() > step) continue;
    kept += line + "\n";
  }
  write_file_atomic(file("metrics.jsonl"), kept);
  metrics_.open(file("metrics.jsonl"), std::ios::app);
}

}  // namespace learner::train
