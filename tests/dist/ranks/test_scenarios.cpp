// The multi-rank scenarios on the launcher's communicator (every rank runs each case).
#include <doctest/doctest.h>

#include "tests/dist/ranks/dist_test.h"
#include "tests/dist/dist_scenarios.h"

using namespace learner;
namespace sc = learner::test::dist_scenarios;

TEST_CASE("mpi: the launcher's engine") {
  const dist::Launcher launcher = dist::detect_launcher();
  const dist::Engine expected = launcher == dist::Launcher::Mpi        ? dist::Engine::Mpi
                                : launcher == dist::Launcher::Torchrun ? dist::Engine::Tcp
                                                                       : dist::Engine::Single;
  CHECK(test::g_comm->engine() == expected);
  CHECK(test::g_comm->local_rank() >= 0);
  MESSAGE(test::g_comm->describe());
}

TEST_CASE("mpi: collectives on odd sizes") { sc::collectives(*test::g_comm); }
TEST_CASE("mpi: all-reduce is deterministic") { sc::determinism(*test::g_comm); }
TEST_CASE("mpi: global contrastive loss") { sc::global_contrastive(*test::g_comm); }
TEST_CASE("mpi: SyncBatchNorm") { sc::sync_batch_norm(*test::g_comm); }
TEST_CASE("mpi: bucketed gradient averaging") { sc::gradient_buckets(*test::g_comm); }
TEST_CASE("mpi: module broadcast") { sc::module_broadcast(*test::g_comm); }
TEST_CASE("mpi: training equivalence") { sc::training_equivalence(*test::g_comm); }

TEST_CASE("mpi: a large all-reduce (parallel reduction path)") {
  const int R = test::g_comm->world_size(), me = test::g_comm->rank();
  Tensor t = Tensor::full({70001}, static_cast<float>(me + 1));
  test::g_comm->all_reduce_sum(t);
  const float expected = static_cast<float>(R * (R + 1) / 2);
  const std::vector<float> v = t.to_vector<float>();
  int bad = 0;
  for (float x : v) bad += x != expected;
  CHECK(bad == 0);
}
