// The NCCL engine: CUDA tensors of this rank's GPU, bootstrapped through a host engine (Mpi
// or Tcp) that also keeps serving CPU tensors.
//
// Streams: every NCCL collective runs on one communication stream. It waits for an event
// recorded on the device's framework stream (so it sees finished inputs) and the framework
// stream waits for its completion event (at once for the blocking calls, at Work::wait()
// for all_reduce_async), so the caching allocator's one-stream rule still holds.
//
// Faults: the communicator is non-blocking (config.blocking = 0), so init and every call
// can be polled with a deadline; a poller thread watches an event per collective and
// ncclCommGetAsyncError, and on an error or a collective older than the timeout it aborts
// the communicator (ncclCommAbort) and ends the process, which ends the job under mpirun
// or torchrun. Two ranks on one GPU are refused before NCCL starts.
#include <nccl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "parallel/engines.h"
#include "base/cuda/check.h"
#include "base/cuda/context.h"
#include "base/runtime.h"

namespace learner::dist {

namespace {

[[noreturn]] void nccl_fail(ncclResult_t result, const char* call, ncclComm_t comm, int rank,
                            const char* file, int line) {
  const char* detail = comm != nullptr ? ncclGetLastError(comm) : "";
  throw Error(str("NCCL error on rank ", rank, ": ", ncclGetErrorString(result),
                  detail != nullptr && *detail != '\0' ? str(" (", detail, ")") : std::string(),
                  "\n  in ", call, "\n  at ", file, ":", line));
}

}  // namespace
}  // namespace learner::dist

// Checks an NCCL call that completes synchronously (no ncclInProgress expected).
#define NCCL_CHECK(call)                                                                   \
  do {                                                                                     \
    const ncclResult_t learner_nccl_res_ = (call);                                         \
    if (learner_nccl_res_ != ncclSuccess)                                                  \
      ::learner::dist::nccl_fail(learner_nccl_res_, #call, nullptr, rank(), __FILE__, __LINE__); \
  } while (0)

namespace learner::dist {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ncclDataType_t nccl_type(DType dtype) { return dtype == DType::F32 ? ncclFloat32 : ncclInt64; }

// Identity of a GPU, gathered from every rank before NCCL starts: (1, 12) i64 holding the
// 16-byte UUID, the PCI location, the CUDA index and 64 bytes of host name.
constexpr int kIdentityWords = 12;

class NcclWork : public Work {
 public:
  NcclWork(cudaStream_t waiter, cudaEvent_t done, Tensor keep)
      : waiter_(waiter), done_(done), keep_(std::move(keep)) {}
  ~NcclWork() override {
    if (!waited_) (void)cudaStreamWaitEvent(waiter_, done_, 0);  // no throwing from a destructor
    (void)cudaEventDestroy(done_);
  }
  void wait() override {
    if (waited_) return;
    CUDA_CHECK(cudaStreamWaitEvent(waiter_, done_, 0));
    waited_ = true;
  }

 private:
  cudaStream_t waiter_;
  cudaEvent_t done_;
  Tensor keep_;  // the buffer in flight stays allocated until the framework stream waits
  bool waited_ = false;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<Communicator> host, int gpu, double timeout_s)
      : Communicator(host->rank(), host->world_size(), host->local_rank(), Device::cuda(gpu)),
        host_(std::move(host)),
        timeout_s_(timeout_s) {
    cuda::context(gpu);  // the device becomes current and its framework stream exists
    refuse_shared_gpus();
    Tensor id = Tensor::zeros({static_cast<int64_t>(sizeof(ncclUniqueId))}, DType::U8);
    if (rank() == 0) {
      ncclUniqueId unique{};
      NCCL_CHECK(ncclGetUniqueId(&unique));
      std::memcpy(id.raw_data(), &unique, sizeof unique);
    }
    host_->broadcast(id, 0);
    ncclUniqueId unique{};
    std::memcpy(&unique, id.raw_data(), sizeof unique);

    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    try {
      ncclComm_t comm = nullptr;
      const ncclResult_t started =
          ncclCommInitRankConfig(&comm, world_size(), unique, rank(), &config);
      comm_ = comm;
      finish_call(started, "ncclCommInitRankConfig");
      CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
    } catch (...) {  // the destructor does not run for a half-built object
      if (comm_ != nullptr) ncclCommAbort(comm_);
      if (comm_stream_ != nullptr) cudaStreamDestroy(comm_stream_);
      throw;
    }
    poller_ = std::thread([this] { poll_loop(); });
  }

  ~NcclCommunicator() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
    if (comm_ != nullptr) shut_down();
    for (const Pending& p : pending_) cudaEventDestroy(p.event);
    if (comm_stream_ != nullptr) cudaStreamDestroy(comm_stream_);
  }

  Engine engine() const override { return Engine::Nccl; }

  void all_reduce(Tensor& t, ReduceOp op) override { all_reduce_async(t, op)->wait(); }

  std::unique_ptr<Work> all_reduce_async(Tensor& t, ReduceOp op) override {
    if (t.defined() && t.device().is_cpu()) {
      host_->all_reduce(t, op);
      return finished_work();
    }
    check_on(t, "all_reduce", device());
    check_reducible(t, "all_reduce");
    float* p = t.data<float>();
    const size_t n = static_cast<size_t>(t.numel());
    const ncclRedOp_t nccl_op = op == ReduceOp::Sum ? ncclSum : ncclAvg;
    cudaEvent_t done = launch("all_reduce", [&](cudaStream_t s) {
      return ncclAllReduce(p, p, n, ncclFloat32, nccl_op, comm_, s);
    });
    return std::make_unique<NcclWork>(stream_for(device()), done, t);
  }

  Tensor all_gather(const Tensor& t) override {
    if (t.defined() && t.device().is_cpu()) return host_->all_gather(t);
    Tensor out = gather_output(t, device());
    const void* send = t.raw_data();
    void* recv = out.raw_data();
    const size_t n = static_cast<size_t>(t.numel());
    const ncclDataType_t type = nccl_type(t.dtype());
    cudaEvent_t done = launch("all_gather", [&](cudaStream_t s) {
      return ncclAllGather(send, recv, n, type, comm_, s);
    });
    NcclWork(stream_for(device()), done, t).wait();
    return out;
  }

  void broadcast(Tensor& t, int root) override {
    if (t.defined() && t.device().is_cpu()) return host_->broadcast(t, root);
    check_on(t, "broadcast", device());
    LEARNER_CHECK(root >= 0 && root < world_size(), "broadcast (", describe(), "): root ", root,
                  " is not a rank");
    void* p = t.raw_data();
    const size_t n = t.nbytes();
    cudaEvent_t done = launch("broadcast", [&](cudaStream_t s) {
      return ncclBroadcast(p, p, n, ncclUint8, root, comm_, s);
    });
    NcclWork(stream_for(device()), done, t).wait();
  }

  // A host barrier: all ranks reached this point (device work is not waited for).
  void barrier() override { host_->barrier(); }

  [[noreturn]] void abort(int code, const std::string& message) override {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    host_->abort(code, message);
    std::_Exit(code == 0 ? 1 : code);  // not reached: the host engine ends the process
  }

 private:
  struct Pending {
    cudaEvent_t event;
    const char* what;
    double deadline;
  };

  // Orders `call(comm_stream_)` after the framework stream's work, returns an event marking
  // its completion (the caller makes the framework stream wait on it), and hands a second
  // event to the poller.
  template <typename Call>
  cudaEvent_t launch(const char* what, Call call) {
    const cudaStream_t main = stream_for(device());
    cudaEvent_t ready = nullptr, done = nullptr, watched = nullptr;
    CUDA_CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(ready, main));
    CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, ready, 0));
    CUDA_CHECK(cudaEventDestroy(ready));  // released once the wait is satisfied
    finish_call(call(comm_stream_), what);
    CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(done, comm_stream_));
    CUDA_CHECK(cudaEventCreateWithFlags(&watched, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(watched, comm_stream_));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_.push_back({watched, what, now_s() + timeout_s_});
    }
    return done;
  }

  // A non-blocking communicator may answer ncclInProgress: poll until the call is really
  // enqueued (or init is done), within the timeout. An error throws (the communicator is
  // then only aborted at destruction); a timeout ends the job like the poller does.
  void finish_call(ncclResult_t result, const char* what) {
    const double deadline = now_s() + timeout_s_;
    while (result == ncclInProgress) {
      if (now_s() > deadline)
        die(str(what, " did not complete within ", timeout_s_,
                " s: a peer rank died or is stuck (raise LEARNER_DIST_TIMEOUT if it is only slow)"));
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      const ncclResult_t polled = ncclCommGetAsyncError(comm_, &result);
      if (polled != ncclSuccess) result = polled;
    }
    if (result != ncclSuccess) {
      failed_ = true;
      nccl_fail(result, what, comm_, rank(), __FILE__, __LINE__);
    }
  }

  // Gathers every rank's GPU identity and refuses to start when two ranks got the same GPU.
  void refuse_shared_gpus() {
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device().index));
    Tensor mine = Tensor::zeros({1, kIdentityWords}, DType::I64);
    char* bytes = static_cast<char*>(mine.raw_data());
    std::memcpy(bytes, prop.uuid.bytes, 16);
    const int64_t pci = (static_cast<int64_t>(prop.pciDomainID) << 32) |
                        (static_cast<int64_t>(prop.pciBusID) << 16) | prop.pciDeviceID;
    std::memcpy(bytes + 16, &pci, 8);
    const int64_t index = device().index;
    std::memcpy(bytes + 24, &index, 8);
    char host[65] = {0};
    gethostname(host, 64);
    std::memcpy(bytes + 32, host, 64);
    const Tensor all = host_->all_gather(mine);
    const char* table = static_cast<const char*>(all.raw_data());
    const size_t row = kIdentityWords * sizeof(int64_t);
    for (int a = 0; a < world_size(); ++a) {
      for (int b = a + 1; b < world_size(); ++b) {
        if (std::memcmp(table + a * row, table + b * row, 16) != 0) continue;
        int64_t gpu = 0;
        std::memcpy(&gpu, table + a * row + 24, 8);
        const std::string node(table + a * row + 32, strnlen(table + a * row + 32, 64));
        throw Error(str("nccl: ranks ", a, " and ", b, " both use the same GPU (cuda:", gpu,
                        " on ", node, "); NCCL needs one GPU per rank: start at most as many "
                        "ranks per node as it has GPUs, or give each rank its own "
                        "CUDA_VISIBLE_DEVICES"));
      }
    }
  }

  // The poller: completed collectives leave the queue; an asynchronous NCCL error or a
  // collective past its deadline aborts the communicator and ends the process.
  void poll_loop() {
    cudaSetDevice(device().index);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      ncclResult_t async = ncclSuccess;
      if (ncclCommGetAsyncError(comm_, &async) != ncclSuccess ||
          (async != ncclSuccess && async != ncclInProgress)) {
        die(str("NCCL reported an asynchronous error: ", ncclGetErrorString(async), " (",
                ncclGetLastError(comm_), ")"));
      }
      while (!pending_.empty()) {
        const Pending& front = pending_.front();
        const cudaError_t state = cudaEventQuery(front.event);
        if (state == cudaErrorNotReady) {
          if (now_s() > front.deadline)
            die(str(front.what, " did not finish within ", timeout_s_,
                    " s: a peer rank died or is stuck (raise LEARNER_DIST_TIMEOUT if it is "
                    "only slow)"));
          break;
        }
        if (state != cudaSuccess)
          die(str("CUDA error while waiting for ", front.what, ": ", cudaGetErrorString(state)));
        cudaEventDestroy(front.event);
        pending_.pop_front();
      }
      wake_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

  [[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "learner: %s: %s; aborting the NCCL communicator and ending the job\n",
                 describe().c_str(), message.c_str());
    std::fflush(stderr);
    if (comm_ != nullptr) ncclCommAbort(comm_);
    std::_Exit(1);
  }

  // Clean shutdown: flush with ncclCommFinalize (bounded by the timeout), then destroy; a
  // failed or unfinished communicator is aborted instead.
  void shut_down() {
    ncclResult_t result = failed_ ? ncclInternalError : ncclCommFinalize(comm_);
    const double deadline = now_s() + timeout_s_;
    while (result == ncclInProgress && now_s() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (ncclCommGetAsyncError(comm_, &result) != ncclSuccess) result = ncclInternalError;
    }
    if (result == ncclSuccess) {
      ncclCommDestroy(comm_);
    } else {
      ncclCommAbort(comm_);
    }
    comm_ = nullptr;
  }

  std::unique_ptr<Communicator> host_;
  double timeout_s_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t comm_stream_ = nullptr;
  std::atomic<bool> failed_{false};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::deque<Pending> pending_;
  std::thread poller_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> host,
                                                     int cuda_device, double timeout_s) {
  LEARNER_CHECK(host != nullptr, "make_nccl_communicator: no host communicator to bootstrap with");
  return std::make_unique<NcclCommunicator>(std::move(host), cuda_device, timeout_s);
}

}  // namespace learner::dist
