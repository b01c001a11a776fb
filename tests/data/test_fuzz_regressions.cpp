// Replays every input that fuzzing once found crashing (fuzz/regressions/<target>/) through
// its fuzz target: each must now be refused with learner::Error or accepted, never crash.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/targets.h"

namespace fs = std::filesystem;

TEST_CASE("fuzz regressions: inputs that once crashed a parser are refused cleanly") {
  size_t replayed = 0;
  for (const learner::fuzz::Target& target : learner::fuzz::targets()) {
    // Inputs at the edges every parser must survive, then the saved crashers.
    for (const std::string& bytes : {std::string(), std::string(1, '\0'), std::string(4096, '\xff')}) {
      CAPTURE(target.name);
      CHECK_NOTHROW(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    }
    const fs::path dir = fs::path(LEARNER_SOURCE_DIR) / "fuzz" / "regressions" / target.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CAPTURE(entry.path().string());
      CHECK_NOTHROW(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++replayed;
    }
  }
  const std::string summary = std::to_string(replayed) + " saved fuzz inputs replayed";
  MESSAGE(summary);
}
