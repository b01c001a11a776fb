// The world-of-one engine: a process started without a launcher. Collectives are the
// identity (a copy for all_gather), on whatever device the tensor lives.
#include <cstdio>
#include <cstdlib>

#include "parallel/engines.h"

namespace learner::dist {

namespace {

class DoneWork : public Work {
 public:
  void wait() override {}
};

}  // namespace

std::unique_ptr<Work> finished_work() { return std::make_unique<DoneWork>(); }

namespace {

class SingleCommunicator : public Communicator {
 public:
  explicit SingleCommunicator(Device device) : Communicator(0, 1, 0, device) {}
  Engine engine() const override { return Engine::Single; }

  void all_reduce(Tensor& t, ReduceOp) override { check_reducible(t, "all_reduce"); }
  std::unique_ptr<Work> all_reduce_async(Tensor& t, ReduceOp op) override {
    all_reduce(t, op);
    return finished_work();
  }
  Tensor all_gather(const Tensor& t) override {
    check_gatherable(t, "all_gather");
    return t.clone();
  }
  void broadcast(Tensor& t, int root) override {
    LEARNER_CHECK(t.defined(), "broadcast (", describe(), "): the tensor is undefined");
    LEARNER_CHECK(root == 0, "broadcast (", describe(), "): root ", root, " is not a rank");
  }
  void barrier() override {}
  [[noreturn]] void abort(int code, const std::string& message) override {
    std::fprintf(stderr, "learner: %s: %s\n", describe().c_str(), message.c_str());
    std::fflush(stderr);
    std::_Exit(code == 0 ? 1 : code);
  }
};

}  // namespace

std::unique_ptr<Communicator> make_single_communicator(Device device) {
  return std::make_unique<SingleCommunicator>(device);
}

}  // namespace learner::dist
