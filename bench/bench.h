// A tiny benchmark harness: each bench/*.cpp registers named benchmarks with
// LEARNER_BENCHMARK; `learner_bench [NAME...]` runs all or the named ones.
#pragma once

#include <functional>
#include <string>

namespace learner::bench {

using BenchFn = std::function<void()>;

struct Registrar {
  Registrar(const char* name, const char* description, BenchFn fn);
};

// Median wall time in seconds of `fn` over `repeats` runs after `warmup` runs.
// `sync` (may be empty) is called after each run, e.g. to wait for a CUDA stream.
double median_seconds(const std::function<void()>& fn, int warmup, int repeats,
                      const std::function<void()>& sync = {});

// One machine-readable line, "@result<TAB>key<TAB>value<TAB>unit", beside the human tables:
// scripts/gpu_torch_bench.py reads them to put PyTorch's number for the same key beside ours.
void report(const std::string& key, double value, const char* unit);

}  // namespace learner::bench

#define LEARNER_BENCH_CONCAT2(a, b) a##b
#define LEARNER_BENCH_CONCAT(a, b) LEARNER_BENCH_CONCAT2(a, b)
#define LEARNER_BENCHMARK(name, description)                                                  \
  static void LEARNER_BENCH_CONCAT(bench_fn_, __LINE__)();                                    \
  static ::learner::bench::Registrar LEARNER_BENCH_CONCAT(bench_reg_, __LINE__)(              \
      name, description, &LEARNER_BENCH_CONCAT(bench_fn_, __LINE__));                         \
  static void LEARNER_BENCH_CONCAT(bench_fn_, __LINE__)()
