// Constructors of the communicator engines (parallel/communicator.h). make_communicator picks
// one from the launcher; tests build them directly (e.g. Tcp ranks as threads).
#pragma once

#include <memory>
#include <string>

#include "parallel/communicator.h"

namespace learner::dist {

// A Work that is already finished (the CPU engines run their "async" collectives eagerly).
std::unique_ptr<Work> finished_work();

// World of one on `device` (CPU or CUDA): every collective is the identity.
std::unique_ptr<Communicator> make_single_communicator(Device device);

// MPI_COMM_WORLD of a job started by mpirun, mpiexec or srun --mpi=pmix; CPU tensors.
// Initialises MPI on first use (finalised at exit when the process exits with status 0,
// aborted otherwise: a rank that ends in error must not wait for peers in MPI_Finalize).
std::unique_ptr<Communicator> make_mpi_communicator(double timeout_s);

// A star through rank 0 over TCP, for launchers that set torchrun's variables; CPU tensors.
// Meant for small jobs and for the bootstrap of NCCL, not for bandwidth.
struct TcpRendezvous {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  // rank 0 listens here
  double timeout_s = 600;   // to connect, and for every collective
};
std::unique_ptr<Communicator> make_tcp_communicator(const TcpRendezvous& rendezvous);

// NCCL on cuda:<cuda_device> for CUDA tensors, bootstrapped through `host` (Mpi or Tcp),
// which keeps serving CPU tensors. Checks that no two ranks share a GPU before NCCL starts.
// Throws learner::Error in builds without CUDA.
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> host,
                                                     int cuda_device, double timeout_s);

}  // namespace learner::dist
