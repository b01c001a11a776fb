// The CUDA runtime layer: why no GPU answers, LEARNER_REQUIRE_GPU, library handles made on
// first use, cuBLAS atomics following the deterministic mode, and the caching allocator's
// exact-size mode for compute-sanitizer.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/device.h"
#include "base/runtime.h"
#include "framework/ops.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

#ifdef LEARNER_WITH_CUDA
#include "base/cuda/allocator.h"
#include "base/cuda/check.h"
#include "base/cuda/context.h"
#endif

using namespace learner;

TEST_CASE("cuda_unavailable_reason says why no GPU answers, and nothing when one does") {
  const std::string why = cuda_unavailable_reason();
  if (cuda_available()) {
    CHECK(why.empty());
  } else {
    // e.g. "cudaGetDeviceCount failed: cudaErrorNoDevice (no CUDA-capable device is detected)"
    CHECK(!why.empty());
#ifdef LEARNER_WITH_CUDA
    CHECK(why.find("cudaGetDeviceCount") != std::string::npos);
#endif
  }
}

TEST_CASE("LEARNER_REQUIRE_GPU=1 turns a skipped CUDA case into a failure naming the reason") {
  if (cuda_available()) {
    MESSAGE("a GPU answers: nothing is skipped, so there is nothing to turn into a failure");
    return;
  }
  if (test::gpu_required()) {
    MESSAGE("already under LEARNER_REQUIRE_GPU=1: the [cuda] cases themselves show the failure");
    return;
  }
  // The test binary itself, on one [cuda] case: skipped normally, failed when required.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string one_case = " -tc='cuda round trip [cuda]' --no-version";
  const test::CommandResult plain = test::run_command(self + one_case);
  CHECK_MESSAGE(plain.exit_code == 0, plain.output);
  CHECK(plain.output.find("CUDA case skipped") != std::string::npos);
  const test::CommandResult required = test::run_command("LEARNER_REQUIRE_GPU=1 " + self + one_case);
  CHECK_MESSAGE(required.exit_code != 0, required.output);
  CHECK(required.output.find("LEARNER_REQUIRE_GPU=1 but no GPU answers") != std::string::npos);
  CHECK(required.output.find(cuda_unavailable_reason()) != std::string::npos);
}

#ifdef LEARNER_WITH_CUDA
TEST_CASE("a CUDA context makes its cuDNN handle on the first convolution, not before [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const Device gpu = Device::cuda(0);
  cuda::Context& ctx = cuda::context(0);
  const bool fresh = ctx.cudnn == nullptr;
  Tensor a = test::random_tensor({64}, 1, -1.f, 1.f, gpu);
  Tensor sum = add(a, a);
  synchronize(gpu);
  if (fresh) {
    CHECK(ctx.cudnn == nullptr);  // an elementwise op needs no cuDNN
  } else {
    MESSAGE("an earlier case in this process ran a convolution; run this case alone to see "
            "the handle appear (scripts/gpu-check runs every [cuda] case in its own process)");
  }
  Tensor x = test::random_tensor({1, 2, 5, 5}, 2, -1.f, 1.f, gpu);
  Tensor w = test::random_tensor({3, 2, 3, 3}, 3, -1.f, 1.f, gpu);
  Tensor y = conv2d(x, w, Tensor(), Conv2dParams());
  synchronize(gpu);
  CHECK(ctx.cudnn != nullptr);
}

TEST_CASE("cuBLAS atomics follow set_deterministic at the next GEMM [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  struct Restore {
    ~Restore() { set_deterministic(true); }
  } restore;
  const Device gpu = Device::cuda(0);
  Tensor a = test::random_tensor({8, 8}, 4, -1.f, 1.f, gpu);
  cuda::Context& ctx = cuda::context(0);
  cublasAtomicsMode_t mode = CUBLAS_ATOMICS_ALLOWED;
  for (bool det : {true, false, true}) {
    set_deterministic(det);
    Tensor c = matmul(a, a);
    synchronize(gpu);
    REQUIRE(ctx.cublas != nullptr);
    CUBLAS_CHECK(cublasGetAtomicsMode(ctx.cublas, &mode));
    CHECK_MESSAGE(mode == (det ? CUBLAS_ATOMICS_NOT_ALLOWED : CUBLAS_ATOMICS_ALLOWED),
                  "deterministic ", det);
  }
}

TEST_CASE("the caching allocator's exact-size mode sizes blocks exactly and caches nothing [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  const bool was_exact = cuda::exact_allocation();
  struct Restore {
    bool exact;
    ~Restore() { cuda::set_exact_allocation(exact); }
  } restore{was_exact};
  cuda::set_exact_allocation(true);
  const cuda::AllocatorStats before = cuda::allocator_stats(0);
  {
    cuda::DeviceBuffer one(100, 0);
    CHECK(cuda::allocator_stats(0).in_use_bytes == before.in_use_bytes + 100);  // not 512
  }
  { cuda::DeviceBuffer two(100, 0); }
  const cuda::AllocatorStats after = cuda::allocator_stats(0);
  CHECK(after.device_mallocs == before.device_mallocs + 2);  // the first block was not reused
  CHECK(after.cached_bytes == 0);
  CHECK(after.in_use_bytes == before.in_use_bytes);
  // Rounded mode reuses the cached block.
  cuda::set_exact_allocation(false);
  const cuda::AllocatorStats rounded = cuda::allocator_stats(0);
  { cuda::DeviceBuffer three(100, 0); }
  { cuda::DeviceBuffer four(100, 0); }
  CHECK(cuda::allocator_stats(0).device_mallocs <= rounded.device_mallocs + 1);
  CHECK(cuda::allocator_stats(0).cached_bytes >= 512);
}
#endif
