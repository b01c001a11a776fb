// Graph recording and the reverse walk.
#include "framework/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "framework/ops/elementwise.h"

namespace learner {

namespace {
thread_local bool t_grad_enabled = true;
}

// Moves the nodes only this graph owns into `out`, so they die here, one level deep.
static void steal_unique_inputs(std::vector<std::shared_ptr<TensorImpl>>& inputs,
                                std::vector<std::shared_ptr<Node>>& out) {
  for (auto& input : inputs)
    if (input && input.use_count() == 1 && input->grad_fn) out.push_back(std::move(input->grad_fn));
}

Node::~Node() {
  std::vector<std::shared_ptr<Node>> doomed;
  steal_unique_inputs(inputs, doomed);
  while (!doomed.empty()) {
    std::shared_ptr<Node> node = std::move(doomed.back());
    doomed.pop_back();
    if (node.use_count() == 1) steal_unique_inputs(node->inputs, doomed);
  }
}

bool grad_enabled() { return t_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

static Tensor attach(Tensor out, const char* op, const std::vector<Tensor>& inputs,
                     BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->backward = std::move(backward);
  for (const Tensor& t : inputs)
    node->inputs.push_back(t.defined() && t.requires_grad() ? t.impl_ptr() : nullptr);
  out.impl().grad_fn = std::move(node);
  out.impl().requires_grad = true;
  return out;
}

Tensor record(Tensor out, const char* op, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!needs_graph(inputs)) return out;
  return attach(std::move(out), op, inputs, std::move(backward));
}

Tensor record_non_differentiable(Tensor out, const char* op, const std::vector<Tensor>& inputs) {
  if (!needs_graph(inputs)) return out;
  return attach(std::move(out), op, inputs, BackwardFn());
}

// Post-order of the graph below root (inputs before the results computed from them),
// iterative so that deep networks cannot overflow the call stack.
static std::vector<TensorImpl*> topological_order(TensorImpl* root) {
  std::vector<TensorImpl*> order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<TensorImpl*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [impl, next] = stack.back();
    const size_t n_inputs = impl->grad_fn ? impl->grad_fn->inputs.size() : 0;
    if (next < n_inputs) {
      TensorImpl* child = impl->grad_fn->inputs[next++].get();
      if (child != nullptr && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(impl);
      stack.pop_back();
    }
  }
  return order;
}

void run_backward(const Tensor& root, const Tensor& grad_output, const LeafGradientHook& hook) {
  LEARNER_CHECK(root.requires_grad(),
                "backward(): this tensor does not require grad: it was computed only from "
                "tensors that do not require grad, or under a NoGradGuard");
  Tensor seed = grad_output;
  if (seed.defined()) {
    check_same_shape(root, seed, "backward");
    check_same_device(root, seed, "backward");
  } else {
    LEARNER_CHECK(root.numel() == 1, "backward(): without a gradient argument the tensor must ",
                  "hold one element, got ", root.describe());
    seed = Tensor::full(root.shape(), 1.f, root.device());
  }

  NoGradGuard no_grad;  // the backward computation itself is not recorded
  std::unordered_map<TensorImpl*, Tensor> pending;
  pending[root.impl_ptr().get()] = seed;
  const std::vector<TensorImpl*> order = topological_order(root.impl_ptr().get());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = *it;
    auto found = pending.find(impl);
    if (found == pending.end()) continue;
    Tensor grad = std::move(found->second);
    pending.erase(found);

    if (!impl->grad_fn) {  // a leaf: accumulate into .grad (a private copy, never an alias)
      if (!impl->grad) {
        impl->grad = grad.clone().impl_ptr();
      } else {
        Tensor acc(impl->grad);
        add_(acc, grad);
      }
      // Reverse topological order visits a leaf after every op that used it: final now.
      if (hook) hook(*impl);
      continue;
    }

    Node& node = *impl->grad_fn;
    LEARNER_CHECK(node.backward, "backward() reached '", node.op,
                  "', which is not differentiable; compute it under a NoGradGuard or detach() "
                  "its inputs");
    NeedsGrad needs(node.inputs.size());
    for (size_t i = 0; i < needs.size(); ++i) needs[i] = node.inputs[i] != nullptr;
    std::vector<Tensor> input_grads = node.backward(grad, needs);
    LEARNER_ASSERT(input_grads.size() == node.inputs.size(), "backward of '", node.op,
                   "' returned ", input_grads.size(), " gradients for ", node.inputs.size(), " inputs");
    for (size_t i = 0; i < needs.size(); ++i) {
      if (!needs[i]) continue;
      const Tensor& g = input_grads[i];
      LEARNER_ASSERT(g.defined() && g.shape() == node.inputs[i]->shape, "backward of '", node.op,
                     "' gave input ", i, " a gradient of ",
                     g.defined() ? shape_str(g.shape()) : "undefined", ", expected ",
                     shape_str(node.inputs[i]->shape));
      Tensor& slot = pending[node.inputs[i].get()];
      slot = slot.defined() ? add(slot, g) : g;  // out of place: g may alias another gradient
    }
  }
}

}  // namespace learner
