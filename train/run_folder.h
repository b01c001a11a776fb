// A run folder: everything one training run leaves behind (docs/report.md has the contract):
//   config.json     the resolved configuration (flags and config file merged)
//   metrics.jsonl   one JSON object per line: step, epoch, phase and numbers
//   events.out.tfevents.*  the same scalars for TensorBoard
//   log.txt         what the run printed
//   checkpoints/    last.safetensors, best.safetensors
#pragma once

#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace learner::train {

class EventWriter;

enum class FolderMode { Fresh, Resume };

class RunFolder {
 public:
  // Fresh: the folder must not hold a run yet (a clear error says to pick another --out or
  // pass --resume). Resume: it must hold one. A folder that is not the `writer` (a
  // data-parallel rank other than 0) checks nothing and writes nothing: its log, metrics and
  // config calls do nothing, so every rank can run the same code.
  RunFolder(const std::string& path, FolderMode mode, bool writer = true);
  bool writer() const { return writer_; }
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::string& path() const { return path_; }
  std::string checkpoint_path(const std::string& name) const;  // checkpoints/<name>.safetensors
  std::string file(const std::string& name) const;             // <path>/<name>

  void write_config(const std::string& json_text);  // atomic
  // Appends {"step", "epoch", "phase", ...numbers} to metrics.jsonl, and each number to
  // the TensorBoard event file as "<phase>/<key>".
  void log_metrics(int64_t step, int64_t epoch, const std::string& phase, const nlohmann::json& values);
  // Prints a line and appends it to log.txt.
  void log(const std::string& line);
  // On resume: drops metrics.jsonl lines with step > `step` (written after the checkpoint
  // the run continues from), so the log matches an uninterrupted run.
  void truncate_metrics_after(int64_t step);

 private:
  std::string path_;
  bool writer_;
  std::ofstream metrics_, log_;
  std::unique_ptr<EventWriter> events_;
};

// Writes `text` to `path` atomically (temporary file, fsync, rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace learner::train
