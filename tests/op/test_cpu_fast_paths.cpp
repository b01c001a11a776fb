// The faster CPU loops of issue 14 give the same bits as the forms they replaced: the
// scatter max-pool backward against the per-cell gather (the CUDA kernel's and the former CPU
// loop's), the threaded elementwise kernels against one thread, and the fused add_relu of
// the ResNet block against add then relu.
#include <omp.h>

#include <cmath>
#include <vector>

#include "framework/ops.h"
#include "kernels/elementwise.h"
#include "kernels/pool.h"
#include "kernels/pool_cell.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

PoolGeometry pool_geometry(int64_t N, int64_t C, int64_t H, int64_t W, int k, int s, int p) {
  PoolGeometry g;
  g.N = N, g.C = C, g.H = H, g.W = W;
  g.kernel_h = g.kernel_w = k, g.stride_h = g.stride_w = s, g.pad_h = g.pad_w = p;
  g.OH = (H + 2 * p - k) / s + 1;
  g.OW = (W + 2 * p - k) / s + 1;
  return g;
}

}  // namespace

TEST_CASE("max-pool backward on the CPU equals the per-cell gather to the bit") {
  // ResNet's 3x3/2 pad 1 (overlapping windows: an input can win several), odd sizes, and ties.
  const PoolGeometry shapes[] = {pool_geometry(2, 3, 11, 9, 3, 2, 1), pool_geometry(1, 4, 8, 8, 3, 1, 1),
                                 pool_geometry(3, 2, 7, 10, 2, 2, 0), pool_geometry(1, 2, 9, 9, 3, 3, 1)};
  uint64_t seed = 20;
  for (const PoolGeometry& g : shapes) {
    CAPTURE(g.H);
    std::vector<float> x = test::random_tensor({g.N, g.C, g.H, g.W}, ++seed).to_vector();
    for (size_t i = 0; i < x.size(); i += 3) x[i] = std::round(x[i] * 2.f);  // many equal maxima
    const std::vector<float> dy = test::random_tensor({g.N, g.C, g.OH, g.OW}, ++seed).to_vector();
    std::vector<float> y(dy.size());
    std::vector<int32_t> argmax(dy.size());
    maxpool2d_forward_cpu(y.data(), argmax.data(), x.data(), g);
    std::vector<float> dx(x.size(), NAN);
    maxpool2d_backward_cpu(dx.data(), dy.data(), argmax.data(), g);
    std::vector<float> gathered(x.size());
    const int64_t in_plane = g.H * g.W, out_plane = g.OH * g.OW;
    for (int64_t p = 0; p < g.N * g.C; ++p)
      for (int64_t h = 0; h < g.H; ++h)
        for (int64_t w = 0; w < g.W; ++w)
          gathered[p * in_plane + h * g.W + w] =
              maxpool2d_backward_cell(dy.data() + p * out_plane, argmax.data() + p * out_plane, g, h, w);
    CHECK(test::bit_equal(Tensor::from_vector(dx, {g.N, g.C, g.H, g.W}),
                          Tensor::from_vector(gathered, {g.N, g.C, g.H, g.W})));
  }
}

TEST_CASE("elementwise CPU kernels give the same bits with 1 thread and with 2") {
  const int64_t n = 1 << 20;  // long enough to run threaded
  const std::vector<float> a = test::random_tensor({n}, 1).to_vector();
  const std::vector<float> b = test::random_tensor({n}, 2).to_vector();
  auto run_all = [&] {
    std::vector<std::vector<float>> out(6, std::vector<float>(n));
    add_forward_cpu(out[0].data(), a.data(), b.data(), n);
    mul_forward_cpu(out[1].data(), a.data(), b.data(), n);
    axpby_cpu(out[2].data(), 0.3f, a.data(), -1.7f, b.data(), n);
    relu_forward_cpu(out[3].data(), a.data(), n);
    relu_backward_cpu(out[4].data(), b.data(), out[3].data(), n);
    out[5] = a;
    accumulate_cpu(out[5].data(), b.data(), n);
    return out;
  };
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = run_all();
  omp_set_num_threads(2);
  const auto two = run_all();
  omp_set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(one[i] == two[i]);
  }
  CHECK(one[0][5] == a[5] + b[5]);
  CHECK(one[3][7] == (a[7] > 0.f ? a[7] : 0.f));
}

TEST_CASE("add_relu equals relu(add) to the bit, values and both gradients") {
  const Shape shape{3, 5, 7, 9};
  const Tensor a0 = test::random_tensor(shape, 31), b0 = test::random_tensor(shape, 32);
  const Tensor dy = test::random_tensor(shape, 33);
  Tensor a1 = a0.clone().set_requires_grad(true), b1 = b0.clone().set_requires_grad(true);
  Tensor a2 = a0.clone().set_requires_grad(true), b2 = b0.clone().set_requires_grad(true);
  const Tensor fused = add_relu(a1, b1);
  const Tensor plain = relu(add(a2, b2));
  CHECK(test::bit_equal(fused, plain));
  fused.backward(dy);
  plain.backward(dy);
  CHECK(test::bit_equal(a1.grad(), a2.grad()));
  CHECK(test::bit_equal(b1.grad(), b2.grad()));
  CHECK_THROWS_WITH_AS(add_relu(a0, test::random_tensor({3, 5}, 1)), doctest::Contains("add_relu"), Error);
}
