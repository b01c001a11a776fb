// The op-case table (after ggml's test-backend-ops): every op of framework/ops, and the
// kernel pairs an op does not reach, as rows of (op, inputs of chosen shapes, the op,
// tolerance rule), run on every device present by tests/op/test_op_cases.cpp:
//   - on the CPU (the reference, SPEC.md), the row's finite-difference gradient check
//     (test::check_gradients) when it has one;
//   - on CUDA, forward outputs and input gradients against the CPU's, by the row's
//     tolerances, and a second run repeating to the bit where the row says so. Without a
//     GPU those cases skip (REQUIRE_GPU_OR_SKIP), as every CUDA case does.
// "Every op has a row" is itself a test: it reads the declarations in framework/ops/*.h.
//
// Adding an op: write its tensor builders (fixed seeds; shapes that reach each kernel path:
// odd sizes, partial blocks, the empty and the 1x1 case) and append one row per shape to
// op_cases() in op_cases.cpp:
//   {"my_op", "(13, 37): a partly filled block", [] { return Inputs{rand({13, 37}, 1)}; },
//    {0}, [](const Inputs& x) { return Outputs{my_op(x[0])}; }, {close(1e-5, 1e-5)},
//    {close(1e-5, 1e-5)}, Repeat::No, GradCheck()},
// Tolerances: bits() where CPU and CUDA compute the same float operations in the same order,
// close(atol, rtol) otherwise (|cuda - cpu| <= atol + rtol * |cpu|), close_to_max when a
// gradient's size varies over orders of magnitude (atol is scaled by max |cpu|).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "framework/tensor.h"
#include "tests/util/test_util.h"

namespace learner::test {

using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

struct Tolerance {
  bool bits = false;             // bitwise equal
  double atol = 0, rtol = 0;     // else |cuda - cpu| <= atol + rtol * |cpu|
  bool atol_times_max = false;   // atol is multiplied by max |cpu|
};
inline Tolerance bits() { return {true, 0, 0, false}; }
inline Tolerance close(double atol, double rtol) { return {false, atol, rtol, false}; }
inline Tolerance close_to_max(double atol, double rtol) { return {false, atol, rtol, true}; }

enum class Repeat { No, Bits };  // Bits: a second CUDA run gives the same outputs and gradients

struct OpCase {
  std::string op;      // the framework op (or kernel pair) the row tests
  std::string shapes;  // what these inputs reach, for the failure message
  std::function<Inputs()> inputs;  // fresh CPU tensors from fixed seeds (undefined: an absent argument)
  std::vector<int> differentiable;  // inputs that get gradients; outputs[0] is differentiated
  std::function<Outputs(const Inputs&)> run;  // on the inputs' device; may update inputs in place
  std::vector<Tolerance> forward;   // per output; the last one covers the rest
  std::vector<Tolerance> backward;  // per differentiable input; the last one covers the rest
  Repeat repeat = Repeat::No;
  std::optional<GradCheck> grad_check;  // on the CPU
};

// The table, in the order of framework/ops/*.h.
const std::vector<OpCase>& op_cases();

// The transformer ops' rows (tests/op/op_cases_transformer.cpp), appended to the table.
void transformer_op_rows(std::vector<OpCase>& rows);
// VideoMAE's tubelet embedding (tests/op/op_cases_videomae.cpp).
void videomae_op_rows(std::vector<OpCase>& rows);

}  // namespace learner::test
