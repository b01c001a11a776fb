// The host caching allocator: blocks are reused by size class, aligned, bounded by the limit;
// and a TSM training step gives the same bits with the cache on (and its free blocks full of
// garbage) as with it off.
#include <cstdint>
#include <vector>

#include "base/host_allocator.h"
#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "models/heads.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

// Restores the cache limit when a test ends.
struct LimitGuard {
  size_t saved = host_cache_limit();
  ~LimitGuard() { set_host_cache_limit(saved); }
};

// Two Adam steps of TSM-ResNet18 + head with MSE + wCL; returns every parameter's values.
std::vector<std::vector<float>> two_training_steps() {
  Generator gen(42);
  models::EncoderOptions eo;
  eo.frames = 4;
  models::PretrainModel model(eo, gen);
  model.train();
  const Tensor x = test::random_tensor({4 * 4, 1, 32, 32}, 9);
  const Tensor y = Tensor::from_vector<float>({0.1f, 0.7f, 0.4f, 0.9f}, {4});
  optim::Adam adam(model.parameters());
  for (int step = 0; step < 2; ++step) {
    const auto out = model.run(x);
    const Tensor loss = add(mse_loss(out.prediction, y), contrastive_loss(out.embedding, y, ContrastiveKind::WCL));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  std::vector<std::vector<float>> values;
  for (Tensor* p : model.parameters()) values.push_back(p->to_vector());
  return values;
}

}  // namespace

TEST_CASE("host allocator reuses a released block of the same size class, 64-byte aligned") {
  LimitGuard guard;
  set_host_cache_limit(size_t{64} << 20);
  host_cache_empty();
  void* a = host_allocate(100000);
  CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  host_release(a, 100000);
  CHECK(host_cache_stats().cached_bytes >= 100000);
  const uint64_t hits = host_cache_stats().hits;
  void* b = host_allocate(99000);  // the same class (12.5% steps above 4 KiB): the same block
  CHECK(b == a);
  CHECK(host_cache_stats().hits == hits + 1);
  void* c = host_allocate(300000);  // another class: a new block
  CHECK(c != a);
  host_release(b, 99000);
  host_release(c, 300000);
  void* zero = host_allocate(0);  // a valid, releasable block
  CHECK(zero != nullptr);
  host_release(zero, 0);
  host_cache_empty();
  CHECK(host_cache_stats().cached_bytes == 0);
}

TEST_CASE("host allocator keeps at most the limit; limit 0 turns caching off") {
  LimitGuard guard;
  host_cache_empty();
  set_host_cache_limit(1 << 20);
  void* big = host_allocate(2 << 20);
  host_release(big, 2 << 20);  // over the limit: freed, not kept
  CHECK(host_cache_stats().cached_bytes == 0);
  set_host_cache_limit(0);
  void* small = host_allocate(1000);
  host_release(small, 1000);
  CHECK(host_cache_stats().cached_bytes == 0);
}

TEST_CASE("a training step gives the same bits with the host cache on and off") {
  LimitGuard guard;
  set_host_cache_limit(0);
  const auto uncached = two_training_steps();
  set_host_cache_limit(size_t{1} << 30);
  (void)two_training_steps();  // fills the cache with this step's sizes
  host_cache_fill_free_blocks(0xA5);  // an op that reads before writing now sees garbage
  const auto cached = two_training_steps();
  CHECK(host_cache_stats().hits > 0);
  REQUIRE(cached.size() == uncached.size());
  for (size_t i = 0; i < cached.size(); ++i) {
    CAPTURE(i);
    CHECK(cached[i] == uncached[i]);
  }
}
