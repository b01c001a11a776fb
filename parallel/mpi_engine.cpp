// The MPI engine: CPU tensors over a duplicate of MPI_COMM_WORLD whose errors come back as
// codes (MPI_ERRORS_RETURN) and become learner::Error. all_reduce is a rank-ordered
// reduce-scatter (MPI_Alltoallv, then parallel/host_reduce.h) followed by MPI_Allgatherv, so the
// bits never depend on the MPI library's own reduction order.
#include "parallel/engines.h"

#ifndef LEARNER_WITH_MPI
namespace learner::dist {
std::unique_ptr<Communicator> make_mpi_communicator(double) {
  throw Error("this build of learner has no MPI engine (no MPI library was found when it was "
              "configured): install libopenmpi-dev and rebuild, or start the ranks with torchrun's "
              "variables RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT");
}
}  // namespace learner::dist
#else

// The C API only: OpenMPI's and MPICH's headers otherwise pull in the removed C++ bindings.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "parallel/host_reduce.h"
#include "parallel/watchdog.h"

namespace learner::dist {

namespace {

int world_rank_or_minus_one() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  int rank = -1;
  if (initialised && !finalised) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

[[noreturn]] void mpi_fail(const char* call, int code, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) std::snprintf(text, sizeof text, "code %d", code);
  throw Error(str("MPI error on rank ", world_rank_or_minus_one(), ": ", call, " failed: ", text,
                  " (", file, ":", line, ")"));
}

}  // namespace
}  // namespace learner::dist

// Checks an MPI call; a failure throws learner::Error naming the call, the rank and file:line.
#define MPI_CHECK(call)                                                              \
  do {                                                                               \
    const int learner_mpi_err_ = (call);                                             \
    if (learner_mpi_err_ != MPI_SUCCESS)                                             \
      ::learner::dist::mpi_fail(#call, learner_mpi_err_, __FILE__, __LINE__);        \
  } while (0)

namespace learner::dist {

namespace {

// Set by MpiCommunicator::all_ranks_exit_together: every rank exits by one agreed path.
std::atomic<bool> g_all_ranks_exit_together{false};

// At exit: finalise after a clean run or an exit all ranks agreed on; abort the job otherwise,
// because a rank that ends in error would wait forever in MPI_Finalize for peers still blocked
// in a collective.
void finish_mpi_at_exit(int status, void*) {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised) return;
  if (status != 0 && !g_all_ranks_exit_together) {
    std::fprintf(stderr, "learner: rank %d exits with status %d: aborting the MPI job so that no "
                 "rank waits for it\n", world_rank_or_minus_one(), status);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
  } else {
    MPI_Finalize();
  }
}

// Initialises MPI once per process unless the program already did (then it also finalises).
void ensure_mpi() {
  static std::once_flag once;
  std::call_once(once, [] {
    int initialised = 0;
    MPI_CHECK(MPI_Initialized(&initialised));
    if (initialised) return;
    int provided = 0;
    // Only the thread that initialised calls MPI (the watchdog never does).
    MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
    LEARNER_CHECK(on_exit(finish_mpi_at_exit, nullptr) == 0, "mpi: cannot register the exit handler");
  });
}

MPI_Datatype gather_type(DType dtype) { return dtype == DType::F32 ? MPI_FLOAT : MPI_INT64_T; }

int as_count(int64_t n, const char* op) {
  LEARNER_CHECK(n <= INT_MAX, op, ": ", n, " elements exceed MPI's int count; use smaller buckets");
  return static_cast<int>(n);
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, int rank, int world, int local, double timeout_s)
      : Communicator(rank, world, local, Device::cpu()),
        comm_(comm),
        watchdog_(str("mpi rank ", rank, " of ", world), timeout_s) {}

  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  Engine engine() const override { return Engine::Mpi; }

  void all_ranks_exit_together() override { g_all_ranks_exit_together = true; }

  void all_reduce(Tensor& t, ReduceOp op) override {
    check_on(t, "all_reduce", Device::cpu());
    check_reducible(t, "all_reduce");
    const int R = world_size();
    if (R == 1) return;  // x / 1 == x
    const int n = as_count(t.numel(), "all_reduce");
    // Chunk k (counts[k] elements at offsets[k]) is reduced by rank k.
    std::vector<int> counts(R), offsets(R);
    for (int k = 0, offset = 0; k < R; ++k) {
      counts[k] = n / R + (k < n % R ? 1 : 0);
      offsets[k] = offset;
      offset += counts[k];
    }
    const int mine = counts[rank()];
    std::vector<float> blocks(static_cast<size_t>(mine) * R);  // (R, mine)
    std::vector<int> recv_counts(R, mine), recv_offsets(R);
    for (int k = 0; k < R; ++k) recv_offsets[k] = k * mine;
    float* data = t.data<float>();
    auto armed = watchdog_.arm("all_reduce");
    MPI_CHECK(MPI_Alltoallv(data, counts.data(), offsets.data(), MPI_FLOAT, blocks.data(),
                            recv_counts.data(), recv_offsets.data(), MPI_FLOAT, comm_));
    reduce_rank_blocks_cpu(data + offsets[rank()], blocks.data(), R, mine, op);
    MPI_CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts.data(),
                             offsets.data(), MPI_FLOAT, comm_));
  }

  std::unique_ptr<Work> all_reduce_async(Tensor& t, ReduceOp op) override {
    all_reduce(t, op);
    return finished_work();
  }

  Tensor all_gather(const Tensor& t) override {
    Tensor out = gather_output(t, Device::cpu());
    const int n = as_count(t.numel(), "all_gather");
    auto armed = watchdog_.arm("all_gather");
    MPI_CHECK(MPI_Allgather(t.raw_data(), n, gather_type(t.dtype()), out.raw_data(), n,
                            gather_type(t.dtype()), comm_));
    return out;
  }

  void broadcast(Tensor& t, int root) override {
    check_on(t, "broadcast", Device::cpu());
    LEARNER_CHECK(root >= 0 && root < world_size(), "broadcast (", describe(), "): root ", root,
                  " is not a rank");
    auto armed = watchdog_.arm("broadcast");
    char* bytes = static_cast<char*>(t.raw_data());
    const size_t total = t.nbytes();
    constexpr size_t kPiece = size_t{1} << 30;  // MPI counts are ints
    for (size_t done = 0; done < total; done += kPiece) {
      const int piece = static_cast<int>(std::min(kPiece, total - done));
      MPI_CHECK(MPI_Bcast(bytes + done, piece, MPI_BYTE, root, comm_));
    }
  }

  void barrier() override {
    auto armed = watchdog_.arm("barrier");
    MPI_CHECK(MPI_Barrier(comm_));
  }

  [[noreturn]] void abort(int code, const std::string& message) override {
    std::fprintf(stderr, "learner: %s: %s\n", describe().c_str(), message.c_str());
    std::fflush(stderr);
    MPI_Abort(comm_, code == 0 ? 1 : code);
    std::_Exit(code == 0 ? 1 : code);  // MPI_Abort does not return; this is for the compiler
  }

 private:
  MPI_Comm comm_;
  Watchdog watchdog_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(double timeout_s) {
  ensure_mpi();
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
  MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
  int rank = 0, world = 1, local = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_CHECK(MPI_Comm_size(comm, &world));
  // The local rank: the rank among the processes that share this node's memory.
  MPI_Comm node = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  MPI_CHECK(MPI_Comm_rank(node, &local));
  MPI_CHECK(MPI_Comm_free(&node));
  return std::make_unique<MpiCommunicator>(comm, rank, world, local, timeout_s);
}

}  // namespace learner::dist

#endif  // LEARNER_WITH_MPI
