// Collectives between the ranks of a data-parallel job (docs/multi-gpu.md): the abstract
// Communicator, the launcher detection and the factory that picks an engine.
//
// Engines: Single (one process, no launcher), Mpi (CPU tensors; mpirun / srun), Tcp (CPU
// tensors; torchrun-style RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT, a star through
// rank 0), Nccl (CUDA tensors; CPU tensors go to the Mpi or Tcp engine it was bootstrapped
// with). Every collective must be called by every rank, in the same order, with tensors of
// the same shape and dtype.
//
// Determinism: on the CPU engines a sum is computed in double in rank order 0..N-1 and then
// rounded, so every rank gets the same bits and a rerun repeats them, whatever MPI's own
// reduction algorithm is. NCCL repeats itself for a fixed world, topology and NCCL_ALGO /
// NCCL_PROTO (docs/multi-gpu.md).
#pragma once

#include <memory>
#include <string>

#include "framework/tensor.h"

namespace learner::dist {

enum class Engine { Single, Mpi, Tcp, Nccl };
const char* engine_name(Engine engine);

enum class ReduceOp { Sum, Average };

// A collective that may still be running. wait() orders everything issued afterwards on the
// tensor's device after it (NCCL: the device stream waits on an event; the host does not
// block). Destroying a Work that was not waited for waits for it.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int local_rank() const { return local_rank_; }  // rank among the processes of this node
  bool is_root() const { return rank_ == 0; }     // rank 0 alone logs and checkpoints
  // Where this rank computes: the CPU, or the GPU the factory chose from the local rank.
  Device device() const { return device_; }
  virtual Engine engine() const = 0;
  std::string describe() const;  // "mpi rank 1 of 4 (local 1) on cpu"

  // t (any shape) f32, in place: the element-wise sum (or mean) over ranks. Every rank ends
  // with the same bits.
  virtual void all_reduce(Tensor& t, ReduceOp op) = 0;
  void all_reduce_sum(Tensor& t) { all_reduce(t, ReduceOp::Sum); }
  void all_reduce_average(Tensor& t) { all_reduce(t, ReduceOp::Average); }
  // The same, started now and finished by Work::wait(). NCCL runs it on a communication
  // stream, so the caller may keep issuing work (e.g. pack the next bucket) meanwhile; the
  // CPU engines finish it before returning. `t` must stay untouched until wait().
  virtual std::unique_ptr<Work> all_reduce_async(Tensor& t, ReduceOp op) = 0;

  // t (D0, ...) f32 or i64, the same shape on every rank -> (world_size * D0, ...): rank r's
  // tensor at rows r * D0 .. r * D0 + D0 - 1 (rank order). A new tensor on t's device.
  virtual Tensor all_gather(const Tensor& t) = 0;

  // t (any shape, any dtype), in place: every rank gets root's values.
  virtual void broadcast(Tensor& t, int root = 0) = 0;

  // Out of place: `output` (input's shape and dtype, on the same device) receives what the
  // in-place collective would leave in `input`, which stays unchanged. The default runs the
  // in-place call on a copy; NCCL hands both buffers to NCCL, so that even on one rank a
  // collective that writes nothing leaves `output`'s old contents and is caught.
  virtual void all_reduce_into(const Tensor& input, Tensor& output, ReduceOp op);
  virtual void broadcast_into(const Tensor& input, Tensor& output, int root = 0);

  virtual void barrier() = 0;

  // Every rank is leaving by the same path with the same exit status (a stop all ranks agreed
  // on, e.g. at a signal), so the engine may end the job as it ends a clean run even though the
  // status is non-zero. MPI: MPI_Finalize instead of the MPI_Abort that a lone failing rank
  // needs (no peer is left blocked in a collective). Call it after the last collective; the
  // caller's barrier before it is what keeps mpirun from killing a rank that is still saving.
  virtual void all_ranks_exit_together() {}

  // Ends the whole job now: prints `message` with this rank and makes every rank exit
  // non-zero (MPI_Abort, ncclCommAbort, or exit so that peers see the connection close).
  [[noreturn]] virtual void abort(int code, const std::string& message) = 0;

 protected:
  Communicator(int rank, int world_size, int local_rank, Device device);

  // Throw learner::Error naming the op, this rank and the tensor unless t is defined and on
  // `device`; f32 (all_reduce); f32 or i64 with rank >= 1 (all_gather).
  void check_on(const Tensor& t, const char* op, Device device) const;
  void check_reducible(const Tensor& t, const char* op) const;
  void check_gatherable(const Tensor& t, const char* op) const;
  // The start of every engine's all_gather: t checked (on `device`, gatherable) and the
  // uninitialised (world_size * D0, ...) result there.
  Tensor gather_output(const Tensor& t, Device device) const;

 private:
  int rank_, world_size_, local_rank_;
  Device device_;
};

// How this process was started, from the environment.
enum class Launcher {
  None,      // plain process: world of 1
  Mpi,       // mpirun / mpiexec / srun --mpi=pmix: OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK
  Torchrun,  // RANK, WORLD_SIZE (LOCAL_RANK, MASTER_ADDR, MASTER_PORT)
};
Launcher detect_launcher();

struct CommOptions {
  // A collective that has not finished after this long ends the job (a dead or stuck peer
  // must not hang the others). Default: $LEARNER_DIST_TIMEOUT seconds, else 600.
  double timeout_s = 0;  // 0: the default above
};
double resolve_timeout(const CommOptions& options);

// The communicator for this process: the engine follows the launcher (None -> Single,
// Mpi -> Mpi, Torchrun -> Tcp) and the device (CUDA with a launcher -> Nccl over that
// engine, on cuda:<local rank>, or cuda:0 when each rank sees one GPU). A world of one
// under a launcher still uses its engine (a one-rank NCCL run tests the NCCL path).
std::unique_ptr<Communicator> make_communicator(Device device, const CommOptions& options = {});

// The CUDA device index rank `local_rank` of a node uses, given `visible` GPUs there.
int gpu_for_local_rank(int local_rank, int visible, int world_size, Device requested);

}  // namespace learner::dist
