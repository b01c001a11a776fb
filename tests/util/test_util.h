// Shared test helpers: fresh random inputs, closeness with the first mismatch printed,
// finite-difference gradient checks, and the "no GPU: skip" rule for CUDA cases.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <vector>

#include "framework/tensor.h"

namespace learner::test {

// Uniform values in [lo, hi) from a fixed seed (never zeros, never the same twice).
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f,
                     Device device = Device::cpu());

// |a - b| <= atol + rtol * |b| everywhere (b is the reference); on failure reports the
// first mismatching flat index, both values, and how many elements fail.
void expect_close(const Tensor& actual, const Tensor& reference, double atol, double rtol,
                  const char* what = "");
void expect_close(const std::vector<float>& actual, const std::vector<float>& reference,
                  double atol, double rtol, const char* what = "");

// Bitwise equality (same shape and dtype, same bytes).
bool bit_equal(const Tensor& a, const Tensor& b);

struct GradCheck {
  float eps = 1e-2f;     // central-difference step
  double atol = 2e-3;
  double rtol = 2e-2;
  int max_points = 48;   // per input; larger inputs are checked at spread-out indices
};

// Compares the analytic gradient of L = sum(w * f(inputs)), with a fixed random w, against
// central differences of L, for every input that requires grad. f runs in float32, so
// choose inputs away from kinks (relu at 0, max-pool ties).
void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                     std::vector<Tensor> inputs, const GradCheck& options = GradCheck());

// True when a GPU is present; otherwise prints why the case is skipped.
bool gpu_or_skip();

}  // namespace learner::test

// Ends a CUDA test case early (skipped, not failed) on machines without a GPU.
#define REQUIRE_GPU_OR_SKIP()                 \
  do {                                        \
    if (!::learner::test::gpu_or_skip()) return; \
  } while (0)
