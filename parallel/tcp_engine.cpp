// The Tcp engine: CPU tensors over the star of tcp_star.h. all_reduce gathers every rank's
// tensor and reduces in rank order (parallel/host_reduce.h), the same bits as the Mpi engine.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "parallel/engines.h"
#include "parallel/host_reduce.h"
#include "parallel/tcp_star.h"

namespace learner::dist {

namespace {

class TcpCommunicator : public Communicator {
 public:
  explicit TcpCommunicator(const TcpRendezvous& r)
      : Communicator(r.rank, r.world_size, r.local_rank, Device::cpu()), star_(r) {}

  Engine engine() const override { return Engine::Tcp; }

  void all_reduce(Tensor& t, ReduceOp op) override {
    check_on(t, "all_reduce", Device::cpu());
    check_reducible(t, "all_reduce");
    if (world_size() == 1) return;
    const std::vector<char> blocks =
        star_.exchange(TcpStar::Kind::Gather, t.raw_data(), t.nbytes(), 0, "all_reduce");
    reduce_rank_blocks_cpu(t.data<float>(), reinterpret_cast<const float*>(blocks.data()),
                           world_size(), t.numel(), op);
  }

  std::unique_ptr<Work> all_reduce_async(Tensor& t, ReduceOp op) override {
    all_reduce(t, op);
    return finished_work();
  }

  Tensor all_gather(const Tensor& t) override {
    Tensor out = gather_output(t, Device::cpu());
    const std::vector<char> blocks =
        star_.exchange(TcpStar::Kind::Gather, t.raw_data(), t.nbytes(), 0, "all_gather");
    std::memcpy(out.raw_data(), blocks.data(), out.nbytes());
    return out;
  }

  void broadcast(Tensor& t, int root) override {
    check_on(t, "broadcast", Device::cpu());
    LEARNER_CHECK(root >= 0 && root < world_size(), "broadcast (", describe(), "): root ", root,
                  " is not a rank");
    const std::vector<char> bytes =
        star_.exchange(TcpStar::Kind::Broadcast, t.raw_data(), t.nbytes(), root, "broadcast");
    if (rank() != root) std::memcpy(t.raw_data(), bytes.data(), t.nbytes());
  }

  void barrier() override { star_.exchange(TcpStar::Kind::Barrier, nullptr, 0, 0, "barrier"); }

  // Exiting closes this rank's sockets: every peer's next receive fails and ends it too.
  [[noreturn]] void abort(int code, const std::string& message) override {
    std::fprintf(stderr, "learner: %s: %s\n", describe().c_str(), message.c_str());
    std::fflush(stderr);
    std::_Exit(code == 0 ? 1 : code);
  }

 private:
  TcpStar star_;
};

}  // namespace

std::unique_ptr<Communicator> make_tcp_communicator(const TcpRendezvous& rendezvous) {
  return std::make_unique<TcpCommunicator>(rendezvous);
}

}  // namespace learner::dist
