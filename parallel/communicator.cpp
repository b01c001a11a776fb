// The Communicator base (checks, description), launcher detection and the factory.
#include "parallel/communicator.h"

#include <cstdlib>
#include <string>

#include "parallel/engines.h"
#include "base/runtime.h"

namespace learner::dist {

const char* engine_name(Engine engine) {
  switch (engine) {
    case Engine::Single: return "single";
    case Engine::Mpi: return "mpi";
    case Engine::Tcp: return "tcp";
    case Engine::Nccl: return "nccl";
  }
  return "?";
}

Communicator::Communicator(int rank, int world_size, int local_rank, Device device)
    : rank_(rank), world_size_(world_size), local_rank_(local_rank), device_(device) {
  LEARNER_CHECK(world_size >= 1 && rank >= 0 && rank < world_size,
                "communicator: rank ", rank, " is not in [0, world size ", world_size, ")");
}

std::string Communicator::describe() const {
  return str(engine_name(engine()), " rank ", rank_, " of ", world_size_, " (local ", local_rank_,
             ") on ", device_.str());
}

void Communicator::check_on(const Tensor& t, const char* op, Device device) const {
  LEARNER_CHECK(t.defined(), op, " (", describe(), "): the tensor is undefined");
  LEARNER_CHECK(t.device() == device, op, " (", describe(), "): the tensor ", t.describe(),
                " must be on ", device.str());
}

void Communicator::check_reducible(const Tensor& t, const char* op) const {
  LEARNER_CHECK(t.defined() && t.dtype() == DType::F32, op, " (", describe(),
                "): reductions take f32 tensors, got ",
                t.defined() ? t.describe() : std::string("an undefined tensor"));
}

void Communicator::check_gatherable(const Tensor& t, const char* op) const {
  LEARNER_CHECK(t.defined() && (t.dtype() == DType::F32 || t.dtype() == DType::I64) && t.dim() >= 1,
                op, " (", describe(), "): all_gather takes f32 or i64 tensors of rank >= 1, got ",
                t.defined() ? t.describe() : std::string("an undefined tensor"));
}

Tensor Communicator::gather_output(const Tensor& t, Device device) const {
  check_on(t, "all_gather", device);
  check_gatherable(t, "all_gather");
  Shape shape = t.shape();
  shape[0] *= world_size();
  return Tensor::empty(shape, t.dtype(), device);
}

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

int env_int(const char* name, int fallback) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  char* end = nullptr;
  const long value = std::strtol(v, &end, 10);
  LEARNER_CHECK(end != v && *end == '\0' && value >= 0 && value < (1L << 30), "environment: ",
                name, "='", v, "' is not a non-negative integer");
  return static_cast<int>(value);
}

// The Tcp rendezvous from torchrun's variables. Under torchrun itself the agent's store owns
// MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True), so rank 0 listens on the next port;
// LEARNER_MASTER_PORT overrides both.
TcpRendezvous torchrun_rendezvous(double timeout_s) {
  TcpRendezvous r;
  r.rank = env_int("RANK", 0);
  r.world_size = env_int("WORLD_SIZE", 1);
  r.local_rank = env_int("LOCAL_RANK", r.rank);
  if (const char* addr = env("MASTER_ADDR")) r.master_addr = addr;
  r.master_port = env_int("MASTER_PORT", 29500);
  const char* agent_store = env("TORCHELASTIC_USE_AGENT_STORE");
  if (agent_store != nullptr && std::string(agent_store) == "True") r.master_port += 1;
  r.master_port = env_int("LEARNER_MASTER_PORT", r.master_port);
  r.timeout_s = timeout_s;
  LEARNER_CHECK(r.world_size >= 1 && r.rank < r.world_size, "environment: RANK=", r.rank,
                " is not below WORLD_SIZE=", r.world_size);
  return r;
}

}  // namespace

Launcher detect_launcher() {
  if (env("OMPI_COMM_WORLD_SIZE") || env("PMI_SIZE") || env("PMIX_RANK")) return Launcher::Mpi;
  if (env("RANK") && env("WORLD_SIZE")) return Launcher::Torchrun;
  return Launcher::None;
}

double resolve_timeout(const CommOptions& options) {
  if (options.timeout_s > 0) return options.timeout_s;
  if (const char* v = env("LEARNER_DIST_TIMEOUT")) {
    char* end = nullptr;
    const double seconds = std::strtod(v, &end);
    LEARNER_CHECK(end != v && *end == '\0' && seconds > 0, "environment: LEARNER_DIST_TIMEOUT='",
                  v, "' is not a positive number of seconds");
    return seconds;
  }
  return 600;
}

int gpu_for_local_rank(int local_rank, int visible, int world_size, Device requested) {
  LEARNER_CHECK(visible > 0, "communicator: --device ", requested.str(),
                " asked for a GPU but none is visible to this process");
  if (world_size == 1) {
    LEARNER_CHECK(requested.index < visible, "communicator: ", requested.str(),
                  " does not exist (", visible, " GPU(s) visible)");
    return requested.index;
  }
  LEARNER_CHECK(requested.index == 0, "communicator: with ", world_size,
                " ranks each rank uses the GPU of its local rank; pass --device cuda, not ",
                requested.str());
  if (visible == 1) return 0;  // one GPU per process (CUDA_VISIBLE_DEVICES or Slurm binding)
  LEARNER_CHECK(local_rank < visible, "communicator: local rank ", local_rank, " has no GPU: ",
                visible, " are visible on this node; start at most ", visible,
                " ranks per node");
  return local_rank;
}

std::unique_ptr<Communicator> make_communicator(Device device, const CommOptions& options) {
  const double timeout_s = resolve_timeout(options);
  std::unique_ptr<Communicator> host;
  switch (detect_launcher()) {
    case Launcher::None: return make_single_communicator(device);
    case Launcher::Mpi: host = make_mpi_communicator(timeout_s); break;
    case Launcher::Torchrun: host = make_tcp_communicator(torchrun_rendezvous(timeout_s)); break;
  }
  if (device.is_cpu()) return host;
  const int gpu =
      gpu_for_local_rank(host->local_rank(), cuda_device_count(), host->world_size(), device);
  return make_nccl_communicator(std::move(host), gpu, timeout_s);
}

#ifndef LEARNER_WITH_CUDA
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator>, int, double) {
  throw_no_cuda_build("make_nccl_communicator");
}
#endif

}  // namespace learner::dist
