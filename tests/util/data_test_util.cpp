// Temporary folders, command runs and small file helpers for the data tests.
#include "tests/util/data_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include <doctest/doctest.h>

namespace learner::test {

TempDir::TempDir(const char* tag) {
  static std::atomic<int> counter{0};
  path_ = "/tmp/learner_" + std::string(tag) + "_" + std::to_string(::getpid()) + "_" +
          std::to_string(counter++);
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string learner_binary() { return std::string(LEARNER_BUILD_DIR) + "/learner"; }

const std::string& tiny_packed_cohort(const std::string& split) {
  static TempDir dir("tiny_cohort");
  static std::map<std::string, std::string> packed;  // split -> .h5
  auto found = packed.find(split);
  if (found != packed.end()) return found->second;
  const std::string b = learner_binary();
  if (!file_exists(dir / "synth/manifest.csv")) {
    const CommandResult synth = run_command(b + " synth --fast --patients 8 --seed 3 --out " + (dir / "synth"));
    if (synth.exit_code != 0) throw std::runtime_error("learner synth failed: " + synth.output);
  }
  const std::string h5 = dir / ("c_" + std::to_string(packed.size()) + ".h5");
  const CommandResult pack = run_command(b + " pack --manifest " + (dir / "synth/manifest.csv") + " --out " + h5 +
                                         " --size 32 --split " + split);
  if (pack.exit_code != 0) throw std::runtime_error("learner pack failed: " + pack.output);
  return packed[split] = h5;
}

std::string learner_ok(const std::string& args) {
  const CommandResult r = run_command(learner_binary() + " " + args);
  REQUIRE_MESSAGE(r.exit_code == 0, args, "\n", r.output);
  return r.output;
}

std::string synth_and_pack(const TempDir& dir, const std::string& pack_flags) {
  learner_ok("synth --fast --patients 12 --seed 5 --out " + (dir / "synth"));
  learner_ok("pack --manifest " + (dir / "synth/manifest.csv") + " --out " + (dir / "c.h5") + " --size 32" +
             (pack_flags.empty() ? "" : " " + pack_flags));
  return dir / "c.h5";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "missing ", path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "missing ", path);
  return nlohmann::json::parse(in);
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<uint8_t> pattern_frames(size_t bytes, uint64_t seed) {
  std::vector<uint8_t> out(bytes);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<uint8_t>(x >> 56);
  }
  return out;
}

}  // namespace learner::test
