// The floors of the code: base/ includes only itself, kernels/ only kernels/ and base/, so a
// kernel file can be read and tested alone.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace {

// The first project include in `folder` that names a folder outside `allowed`, or "".
std::string first_include_above(const std::string& folder, const std::set<std::string>& allowed) {
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(LEARNER_SOURCE_DIR) / folder)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include \"", 0) != 0) continue;
      const std::string target = line.substr(10, line.find('"', 10) - 10);
      const std::string top = target.substr(0, target.find('/'));
      if (target.find('/') != std::string::npos && !allowed.count(top))
        return entry.path().string() + ": " + line;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("layers: base/ and kernels/ include nothing above them") {
  CHECK(first_include_above("base", {"base"}) == "");
  CHECK(first_include_above("kernels", {"kernels", "base"}) == "");
}
