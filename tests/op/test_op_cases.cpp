// Runs the op-case table (op_cases.h) on every device present: the gradient check on the
// CPU, CUDA against the CPU, and that every op of framework/ops has a row.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "base/runtime.h"
#include "tests/op/op_cases.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::OpCase;

namespace {

// What a row produced on one device, copied to the CPU.
struct Produced {
  std::vector<Tensor> outputs;
  std::vector<Tensor> gradients;  // one per differentiable input, in the row's order
};

// The inputs of `row` on `device`, its differentiable ones requiring grad.
std::vector<Tensor> inputs_on(const OpCase& row, Device device) {
  std::vector<Tensor> in = row.inputs();
  for (Tensor& t : in)
    if (t.defined()) t = t.to(device);
  for (int i : row.differentiable) in[i].set_requires_grad(true);
  return in;
}

Produced run_on(const OpCase& row, Device device) {
  std::vector<Tensor> in = inputs_on(row, device);
  std::vector<Tensor> out = row.run(in);
  REQUIRE(!out.empty());
  if (!row.differentiable.empty()) {
    // A scalar output is differentiated as it is; any other with a fixed random upstream.
    if (out[0].dim() == 0) {
      out[0].backward();
    } else {
      out[0].backward(test::random_tensor(out[0].shape(), 7919).to(device));
    }
  }
  Produced p;
  for (const Tensor& t : out) p.outputs.push_back(t.detach().to(Device::cpu()));
  for (int i : row.differentiable) {
    REQUIRE_MESSAGE(in[i].grad().defined(), "input ", i, " got no gradient");
    p.gradients.push_back(in[i].grad().to(Device::cpu()));
  }
  return p;
}

const test::Tolerance& rule(const std::vector<test::Tolerance>& rules, size_t i) {
  REQUIRE(!rules.empty());
  return rules[std::min(i, rules.size() - 1)];
}

void expect_agrees(const Tensor& got, const Tensor& reference, const test::Tolerance& tol, const std::string& what) {
  if (tol.bits || reference.dtype() != DType::F32) {
    CHECK_MESSAGE(test::bit_equal(got, reference), what, ": not the same bits");
    return;
  }
  double atol = tol.atol;
  if (tol.atol_times_max) {
    double largest = 0;
    for (float v : reference.to_vector()) largest = std::max(largest, double(std::fabs(v)));
    atol *= largest;
  }
  test::expect_close(got, reference, atol, tol.rtol, what.c_str());
}

void expect_agrees(const Produced& got, const Produced& reference, const OpCase& row, const char* device) {
  REQUIRE(got.outputs.size() == reference.outputs.size());
  for (size_t i = 0; i < got.outputs.size(); ++i)
    expect_agrees(got.outputs[i], reference.outputs[i], rule(row.forward, i), str(device, " output ", i));
  for (size_t i = 0; i < got.gradients.size(); ++i)
    expect_agrees(got.gradients[i], reference.gradients[i], rule(row.backward, i),
                  str(device, " gradient of input ", row.differentiable[i]));
}

void expect_repeats(const Produced& again, const Produced& first) {
  for (size_t i = 0; i < first.outputs.size(); ++i)
    CHECK_MESSAGE(test::bit_equal(again.outputs[i], first.outputs[i]), "a second run changed output ", i);
  for (size_t i = 0; i < first.gradients.size(); ++i)
    CHECK_MESSAGE(test::bit_equal(again.gradients[i], first.gradients[i]), "a second run changed gradient ", i);
}

// The functions framework/ops/*.h declares that return a Tensor: the ops.
std::set<std::string> declared_ops() {
  std::set<std::string> ops;
  const std::regex declaration(R"(^(?:inline )?Tensor ([a-z_0-9]+)\()");
  const std::regex in_place(R"(^void ([a-z_0-9]+_)\()");  // add_: recorded nowhere, but an op
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LEARNER_SOURCE_DIR) + "/framework/ops")) {
    if (entry.path().extension() != ".h") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, declaration) || std::regex_search(line, m, in_place)) ops.insert(m[1]);
  }
  return ops;
}

}  // namespace

TEST_CASE("every op of framework/ops has a row in the op-case table") {
  std::set<std::string> covered;
  for (const OpCase& row : test::op_cases()) covered.insert(row.op);
  const std::set<std::string> ops = declared_ops();
  CHECK(ops.size() >= 30);  // the reader found the headers
  for (const std::string& op : ops) CHECK_MESSAGE(covered.count(op) == 1, op, " has no row in tests/op/op_cases.cpp");
}

// The CPU is the reference: its values are checked against the spec in each op's own test
// file; here its gradients against finite differences (small rows: each point runs the op
// twice). The other rows run on the CPU as the reference of the CUDA case below.
TEST_CASE("op cases on the CPU pass the finite-difference gradient check") {
  for (const OpCase& row : test::op_cases()) {
    if (!row.grad_check) continue;
    CAPTURE(row.op);
    CAPTURE(row.shapes);
    std::vector<Tensor> in = inputs_on(row, Device::cpu());
    test::check_gradients([&row](const std::vector<Tensor>& x) { return row.run(x)[0]; }, in, *row.grad_check);
  }
}

TEST_CASE("op cases on CUDA match the CPU [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  REQUIRE(deterministic());  // the rows that repeat to the bit rely on it
  const Device gpu = Device::cuda(0);
  for (const OpCase& row : test::op_cases()) {
    CAPTURE(row.op);
    CAPTURE(row.shapes);
    const Produced cpu = run_on(row, Device::cpu());
    const Produced cuda = run_on(row, gpu);
    expect_agrees(cuda, cpu, row, "cuda");
    if (row.repeat == test::Repeat::Bits) expect_repeats(run_on(row, gpu), cuda);
  }
}
