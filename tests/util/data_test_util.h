// Helpers for the data and command-line tests: a temporary folder removed at the end,
// running a command (the built `learner` tool, /usr/bin/python3) while capturing its exit
// code and output, the CLI tests' cohort, and reading what a command wrote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace learner::test {

class TempDir {
 public:
  explicit TempDir(const char* tag);  // /tmp/learner_<tag>_<pid>_<n>, created empty
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult run_command(const std::string& command);

// The built `learner` binary, next to learner_tests.
std::string learner_binary();

// The pretrain tests' cohort, made once per test process and split: `learner synth --fast
// --patients 8 --seed 3` packed at 32 px with `pack --split SPLIT`. Returns the .h5 path.
const std::string& tiny_packed_cohort(const std::string& split);

// Runs `learner ARGS` and REQUIREs exit code 0 (the failure shows the command and what it
// printed); returns what it printed: one step of a command-line test.
std::string learner_ok(const std::string& args);

// The command-line tests' cohort: `learner synth --fast --patients 12 --seed 5` into
// DIR/synth, packed at 32 px into DIR/c.h5 with `pack_flags` (e.g. "--split 0.5,0.25,0.25").
// Returns the .h5 path.
std::string synth_and_pack(const TempDir& dir, const std::string& pack_flags = "");

// A file's text / JSON; REQUIREs that it exists.
std::string read_text(const std::string& path);
nlohmann::json read_json(const std::string& path);

bool file_exists(const std::string& path);
std::vector<std::string> list_dir(const std::string& path);  // sorted names
void write_text(const std::string& path, const std::string& text);

// Deterministic "random" frames: values from a hash of (seed, index), spread over 0..255.
std::vector<uint8_t> pattern_frames(size_t bytes, uint64_t seed);

}  // namespace learner::test
