// Runs the registered benchmarks: all of them, or those named on the command line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "bench/bench.h"

namespace learner::bench {

namespace {
struct Entry {
  std::string description;
  BenchFn fn;
};
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> entries;
  return entries;
}
}  // namespace

Registrar::Registrar(const char* name, const char* description, BenchFn fn) {
  registry()[name] = Entry{description, std::move(fn)};
}

void report(const std::string& key, double value, const char* unit) {
  std::printf("@result\t%s\t%.6g\t%s\n", key.c_str(), value, unit);
}

double median_seconds(const std::function<void()>& fn, int warmup, int repeats,
                      const std::function<void()>& sync) {
  for (int i = 0; i < warmup; ++i) {
    fn();
    if (sync) sync();
  }
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    if (sync) sync();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace learner::bench

int main(int argc, char** argv) {
  using learner::bench::registry;
  std::vector<std::string> names(argv + 1, argv + argc);
  if (names.size() == 1 && (names[0] == "--list" || names[0] == "--help" || names[0] == "-h")) {
    std::printf("usage: learner_bench [NAME...]   (no name: run all)\n");
    for (auto& [name, entry] : registry()) std::printf("  %-24s %s\n", name.c_str(), entry.description.c_str());
    return 0;
  }
  if (names.empty())
    for (auto& [name, entry] : registry()) names.push_back(name);
  for (const std::string& name : names) {
    auto it = registry().find(name);
    if (it == registry().end()) {
      std::fprintf(stderr, "learner_bench: no benchmark named '%s' (see --list)\n", name.c_str());
      return 2;
    }
    std::printf("== %s: %s\n", name.c_str(), it->second.description.c_str());
    try {
      it->second.fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "learner_bench: %s failed: %s\n", name.c_str(), e.what());
      return 1;
    }
  }
  return 0;
}
