// Reverse-mode autograd in the spirit of micrograd: every op result records a Node with
// its inputs and a backward closure; backward() orders the graph topologically and walks
// it in reverse, summing gradients; leaves accumulate into .grad with +=.
//
// Closures must capture detached tensors (Tensor::detach()) for anything they keep, so a
// result never owns the node that owns it.
#pragma once

#include <functional>
#include <vector>

#include "framework/tensor.h"

namespace learner {

using NeedsGrad = std::vector<bool>;
// Given dL/d(output) and which inputs need a gradient, returns dL/d(input) for each input
// (an undefined Tensor where not needed).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const NeedsGrad&)>;

struct Node {
  const char* op = "";
  std::vector<std::shared_ptr<TensorImpl>> inputs;  // nullptr where no gradient flows
  BackwardFn backward;                              // empty: the op is not differentiable

  Node() = default;
  ~Node();  // iterative teardown: a 100k-op chain must not recurse 100k destructors deep
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

// Gradient recording is on unless a NoGradGuard is alive on this thread.
bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when recording is on and any input requires grad: ops use it to skip saving.
bool needs_graph(const std::vector<Tensor>& inputs);

// Attaches a node to `out` when needs_graph(inputs); returns `out`.
Tensor record(Tensor out, const char* op, const std::vector<Tensor>& inputs, BackwardFn backward);

// Marks `out` as computed by an op with no gradient: backward through it is an error
// that names the op (instead of silently giving zeros).
Tensor record_non_differentiable(Tensor out, const char* op, const std::vector<Tensor>& inputs);

// Called once for every leaf whose .grad is final for this backward pass, right after its
// last accumulation, in the order backward finishes the leaves (the same order on every
// run of the same graph). Data parallelism uses it to start reducing gradients while the
// rest of backward runs.
using LeafGradientHook = std::function<void(const TensorImpl& leaf)>;

// Implementation of Tensor::backward(); the hook may be empty.
void run_backward(const Tensor& root, const Tensor& grad_output, const LeafGradientHook& hook = {});

}  // namespace learner
