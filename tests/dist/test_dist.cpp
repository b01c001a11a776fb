// Distributed layer in one process: the world-of-one engine, launcher detection, GPU choice,
// bucket layout, the watchdog, SyncBatchNorm's gradients, and the multi-rank scenarios of
// dist_scenarios.h with Tcp ranks as threads (2 and 3 ranks), plus Tcp faults.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "parallel/communicator.h"
#include "parallel/engines.h"
#include "parallel/global_batch.h"
#include "parallel/grad_sync.h"
#include "parallel/sync_batchnorm.h"
#include "parallel/watchdog.h"
#include "framework/ops.h"
#include "tests/dist/dist_scenarios.h"
#include "tests/util/test_util.h"

using namespace learner;
namespace sc = learner::test::dist_scenarios;

namespace {

// A port nobody listens on right now (the kernel's pick for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs body on R Tcp ranks, one thread each; returns each rank's exception text ("" if none).
std::vector<std::string> run_tcp_ranks(int R, const std::function<void(dist::Communicator&)>& body,
                                       double timeout_s = 30) {
  const int port = free_port();
  std::vector<std::string> errors(R);
  std::vector<std::thread> threads;
  for (int r = 0; r < R; ++r) {
    threads.emplace_back([&, r] {
      try {
        dist::TcpRendezvous rendezvous;
        rendezvous.rank = r;
        rendezvous.world_size = R;
        rendezvous.local_rank = r;
        rendezvous.master_port = port;
        rendezvous.timeout_s = timeout_s;
        auto comm = dist::make_tcp_communicator(rendezvous);
        body(*comm);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      } catch (...) {
        errors[r] = "a failed REQUIRE";
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return errors;
}

void expect_no_errors(const std::vector<std::string>& errors) {
  for (size_t r = 0; r < errors.size(); ++r)
    CHECK_MESSAGE(errors[r].empty(), "rank ", r, ": ", errors[r]);
}

void run_scenario(void (*scenario)(dist::Communicator&)) {
  auto single = dist::make_single_communicator(Device::cpu());
  scenario(*single);
  for (const int R : {2, 3}) {
    CAPTURE(R);
    expect_no_errors(run_tcp_ranks(R, scenario));
  }
}

}  // namespace

TEST_CASE("dist: the single-process engine is the identity") {
  auto comm = dist::make_single_communicator(Device::cpu());
  CHECK(comm->engine() == dist::Engine::Single);
  CHECK(comm->rank() == 0);
  CHECK(comm->world_size() == 1);
  CHECK(comm->is_root());
  CHECK(comm->describe() == "single rank 0 of 1 (local 0) on cpu");
  const Tensor x = test::random_tensor({3, 5}, 1);
  Tensor y = x.clone();
  comm->all_reduce_sum(y);
  CHECK(test::bit_equal(y, x));
  comm->all_reduce_average(y);
  CHECK(test::bit_equal(y, x));
  comm->all_reduce_async(y, dist::ReduceOp::Sum)->wait();
  CHECK(test::bit_equal(y, x));
  const Tensor g = comm->all_gather(x);
  CHECK(test::bit_equal(g, x));
  CHECK(g.raw_data() != x.raw_data());  // a new tensor, as with more ranks
  comm->broadcast(y, 0);
  CHECK_THROWS_AS(comm->broadcast(y, 1), Error);
  comm->barrier();
  CHECK(dist::mean_over_ranks(2.5, *comm) == 2.5);
}

TEST_CASE("dist: launcher detection and the factory without a launcher") {
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") ||
                        std::getenv("PMIX_RANK") || (std::getenv("RANK") && std::getenv("WORLD_SIZE"));
  if (launched) return;  // this process was started by a launcher: nothing to check here
  CHECK(dist::detect_launcher() == dist::Launcher::None);
  auto comm = dist::make_communicator(Device::cpu());
  CHECK(comm->engine() == dist::Engine::Single);
  CHECK(dist::resolve_timeout({12.5}) == 12.5);
}

TEST_CASE("dist: each rank's GPU comes from its local rank") {
  CHECK(dist::gpu_for_local_rank(0, 4, 1, Device::cuda(2)) == 2);  // one rank: as asked
  CHECK(dist::gpu_for_local_rank(3, 8, 16, Device::cuda()) == 3);
  CHECK(dist::gpu_for_local_rank(5, 1, 8, Device::cuda()) == 0);  // one visible GPU per rank
  CHECK_THROWS_AS(dist::gpu_for_local_rank(4, 4, 8, Device::cuda()), Error);  // too many ranks
  CHECK_THROWS_AS(dist::gpu_for_local_rank(0, 4, 2, Device::cuda(1)), Error);
  CHECK_THROWS_AS(dist::gpu_for_local_rank(0, 0, 1, Device::cuda()), Error);
}

TEST_CASE("dist: buckets hold parameters in reverse order up to the size") {
  // 16 bytes = 4 floats per bucket.
  const auto buckets = dist::plan_buckets({5, 3, 100, 2, 2}, 16);
  REQUIRE(buckets.size() == 4);
  CHECK(buckets[0].params == std::vector<int>{4, 3});
  CHECK(buckets[0].offsets == std::vector<int64_t>{0, 2});
  CHECK(buckets[0].numel == 4);
  CHECK(buckets[1].params == std::vector<int>{2});  // larger than a bucket: alone
  CHECK(buckets[2].params == std::vector<int>{1});
  CHECK(buckets[3].params == std::vector<int>{0});
  CHECK(dist::plan_buckets({5, 3}, 1 << 20).size() == 1);
  CHECK(dist::plan_buckets({}, 16).empty());
  CHECK_THROWS_AS(dist::plan_buckets({1}, 0), Error);
}

TEST_CASE("dist: the watchdog fires only for a collective past its deadline") {
  std::atomic<int> fired{0};
  std::string message;
  dist::Watchdog dog("test rank 0 of 2", 0.2, [&](const std::string& m) {
    message = m;
    ++fired;
  });
  {
    auto armed = dog.arm("quick all_reduce");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(fired == 0);
  {
    auto armed = dog.arm("stuck all_reduce");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
  CHECK(fired == 1);
  CHECK(message.find("stuck all_reduce did not finish within 0.2 s") != std::string::npos);
  CHECK_THROWS_AS(dist::Watchdog("x", 0), Error);
}

TEST_CASE("dist: sync_batch_norm2d gradients by finite differences (one rank)") {
  auto comm = dist::make_single_communicator(Device::cpu());
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  const Tensor x = test::random_tensor({2, 3, 3, 4}, 5, -1.f, 2.f).set_requires_grad(true);
  const Tensor w = test::random_tensor({3}, 6, 0.5f, 1.5f).set_requires_grad(true);
  const Tensor b = test::random_tensor({3}, 7).set_requires_grad(true);
  test::check_gradients(
      [&](const std::vector<Tensor>& in) {
        return dist::sync_batch_norm2d(in[0], in[1], in[2], rm, rv, true, 0.1f, 1e-5f, *comm);
      },
      {x, w, b});
}

TEST_CASE("dist: collectives on odd sizes (tcp ranks)") { run_scenario(sc::collectives); }
TEST_CASE("dist: all-reduce is deterministic (tcp ranks)") { run_scenario(sc::determinism); }
TEST_CASE("dist: global contrastive loss equals one rank with the whole batch (tcp ranks)") {
  run_scenario(sc::global_contrastive);
}
TEST_CASE("dist: SyncBatchNorm equals BatchNorm over the global batch (tcp ranks)") {
  run_scenario(sc::sync_batch_norm);
}
TEST_CASE("dist: bucketed gradient averaging (tcp ranks)") { run_scenario(sc::gradient_buckets); }
TEST_CASE("dist: broadcast of a module (tcp ranks)") { run_scenario(sc::module_broadcast); }
TEST_CASE("dist: three training steps on R ranks equal one rank with R times the batch (tcp ranks)") {
  run_scenario(sc::training_equivalence);
}

TEST_CASE("dist: tcp ranks that disagree on a collective both get an error") {
  const auto errors = run_tcp_ranks(2, [](dist::Communicator& comm) {
    const Tensor t = test::random_tensor({comm.rank() == 0 ? 3 : 4}, 1);
    comm.all_gather(t);
  });
  for (const std::string& e : errors) CHECK(e.find("ranks disagree on collective #1") != std::string::npos);
}

TEST_CASE("dist: a tcp rank that exits makes its peer fail, not hang") {
  const auto start = std::chrono::steady_clock::now();
  const auto errors = run_tcp_ranks(2, [](dist::Communicator& comm) {
    Tensor t = test::random_tensor({5}, 1);
    comm.all_reduce_sum(t);
    if (comm.rank() == 1) return;  // "dies": its connection closes when the communicator goes
    for (int i = 0; i < 3; ++i) comm.all_reduce_sum(t);
  });
  CHECK(errors[0].find("closed the connection") != std::string::npos);
  CHECK(errors[1].empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("dist: a silent tcp peer times out") {
  std::atomic<bool> done{false};
  const auto errors = run_tcp_ranks(
      2,
      [&](dist::Communicator& comm) {
        if (comm.rank() == 1) {  // alive but never joins: waits until rank 0 gave up
          for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return;
        }
        Tensor t = test::random_tensor({5}, 1);
        try {
          comm.all_reduce_sum(t);
        } catch (...) {
          done = true;
          throw;
        }
      },
      0.5);
  CHECK(errors[0].find("nothing arrived before the timeout") != std::string::npos);
}

TEST_CASE("dist: a tcp rank waits for rank 0 to come up, within the timeout") {
  dist::TcpRendezvous r;
  r.rank = 1;
  r.world_size = 2;
  r.master_port = free_port();
  r.timeout_s = 0.3;
  CHECK_THROWS_WITH_AS(dist::make_tcp_communicator(r), doctest::Contains("cannot connect to rank 0"),
                       Error);
}

namespace {

// A one-rank NCCL communicator on cuda:0, bootstrapped through a one-rank Tcp engine.
std::unique_ptr<dist::Communicator> one_rank_nccl() {
  dist::TcpRendezvous r;
  r.master_port = free_port();
  r.timeout_s = 60;
  return dist::make_nccl_communicator(dist::make_tcp_communicator(r), 0, 60);
}

}  // namespace

TEST_CASE("dist [cuda]: one-rank NCCL collectives, SyncBN, global mining and gradient sync") {
  REQUIRE_GPU_OR_SKIP();
  auto comm = one_rank_nccl();
  CHECK(comm->engine() == dist::Engine::Nccl);
  CHECK(comm->device() == Device::cuda(0));
  const Device gpu = comm->device();
  const Tensor x = test::random_tensor({37}, 21, -1.f, 1.f, gpu);
  Tensor s = x.clone();
  comm->all_reduce_sum(s);
  CHECK(test::bit_equal(s, x));
  comm->all_reduce_async(s, dist::ReduceOp::Average)->wait();
  CHECK(test::bit_equal(s, x));
  CHECK(test::bit_equal(comm->all_gather(x), x));
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, -2, 3}, {3}, gpu);
  CHECK(comm->all_gather(ids).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3});
  Tensor bytes = Tensor::from_vector(std::vector<uint8_t>{7, 8, 9}, {3}, gpu);
  comm->broadcast(bytes, 0);
  CHECK(bytes.to_vector<uint8_t>() == std::vector<uint8_t>{7, 8, 9});
  Tensor host = test::random_tensor({4}, 22);  // CPU tensors go to the host engine
  comm->all_reduce_sum(host);
  CHECK(test::bit_equal(host, test::random_tensor({4}, 22)));
  comm->barrier();

  // SyncBN through NCCL equals batch_norm2d on the CPU.
  Tensor xb = test::random_tensor({2, 3, 4, 5}, 23, 0.f, 2.f, gpu).set_requires_grad(true);
  Tensor w = test::random_tensor({3}, 24, 0.5f, 1.5f, gpu).set_requires_grad(true);
  Tensor b = test::random_tensor({3}, 25, -1.f, 1.f, gpu).set_requires_grad(true);
  Tensor rm = Tensor::zeros({3}, DType::F32, gpu), rv = Tensor::ones({3}, gpu);
  const Tensor y = dist::sync_batch_norm2d(xb, w, b, rm, rv, true, 0.1f, 1e-5f, *comm);
  Tensor xc = xb.to(Device::cpu()).detach().set_requires_grad(true);
  Tensor rmc = Tensor::zeros({3}), rvc = Tensor::ones({3});
  const Tensor yc = batch_norm2d(xc, w.to(Device::cpu()).detach(), b.to(Device::cpu()).detach(),
                                 rmc, rvc, true, 0.1f, 1e-5f);
  test::expect_close(y.to(Device::cpu()), yc, 1e-5, 1e-5, "nccl sync bn");
  test::expect_close(rv.to(Device::cpu()), rvc, 1e-6, 1e-5, "nccl sync bn running_var");

  // Global mining through NCCL, then a bucketed gradient sync on the device.
  Tensor u = test::random_tensor({6, 5}, 26, -1.f, 1.f, gpu).set_requires_grad(true);
  const Tensor yv = test::random_tensor({6}, 27, 0.f, 1.f, gpu);
  const Tensor loss = contrastive_loss(dist::all_gather_rows(u, *comm),
                                       dist::all_gather_values(yv, *comm), ContrastiveKind::WCL);
  loss.backward();
  Tensor uc = u.to(Device::cpu()).detach().set_requires_grad(true);
  contrastive_loss(uc, yv.to(Device::cpu()), ContrastiveKind::WCL).backward();
  test::expect_close(u.grad().to(Device::cpu()), uc.grad(), 1e-5, 1e-4, "nccl global mining grad");
  const Tensor before = u.grad().clone();
  dist::GradientSync sync(*comm, {&u}, 1e-5);
  sync.average();
  CHECK(test::bit_equal(u.grad(), before));
}

TEST_CASE("dist [cuda]: two ranks on one GPU are refused before NCCL starts") {
  REQUIRE_GPU_OR_SKIP();
  const int port = free_port();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      try {
        dist::TcpRendezvous rendezvous;
        rendezvous.rank = r;
        rendezvous.world_size = 2;
        rendezvous.master_port = port;
        rendezvous.timeout_s = 30;
        dist::make_nccl_communicator(dist::make_tcp_communicator(rendezvous), 0, 30);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors)
    CHECK(e.find("ranks 0 and 1 both use the same GPU") != std::string::npos);
}
