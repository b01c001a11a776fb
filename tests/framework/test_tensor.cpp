// Tensor basics: factories, shapes, views, device copies and error messages.
#include "framework/ops/elementwise.h"
#include "framework/random.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("tensor factories and accessors") {
  Tensor z = Tensor::zeros({2, 3});
  CHECK(z.numel() == 6);
  CHECK(z.dim() == 2);
  CHECK(z.size(-1) == 3);
  for (float v : z.to_vector()) CHECK(v == 0.f);
  Tensor f = Tensor::full({4}, 2.5f);
  for (float v : f.to_vector()) CHECK(v == 2.5f);
  Tensor i = Tensor::from_vector<int64_t>({1, 2, 3}, {3});
  CHECK(i.dtype() == DType::I64);
  CHECK(i.to_vector<int64_t>()[2] == 3);
  CHECK(Tensor::scalar(3.f).item() == 3.f);
  CHECK(f.describe() == "f32[4] on cpu");
}

TEST_CASE("views share storage; clone does not") {
  Tensor a = test::random_tensor({2, 6}, 1);
  Tensor v = a.view_as_shape({3, 4});
  Tensor c = a.clone();
  a.data<float>()[5] = 42.f;
  CHECK(v.data<float>()[5] == 42.f);
  CHECK(c.data<float>()[5] != 42.f);
  CHECK_THROWS_WITH_AS(a.view_as_shape({5}), doctest::Contains("cannot view f32[2, 6]"), Error);
}

TEST_CASE("typed access is checked") {
  Tensor a = Tensor::zeros({2}, DType::U8);
  CHECK_THROWS_WITH_AS(a.data<float>(), doctest::Contains("u8[2]"), Error);
  CHECK_THROWS_AS(Tensor::from_vector<float>({1.f, 2.f}, {3}), Error);
  CHECK_THROWS_WITH_AS(Tensor().shape(), doctest::Contains("undefined"), Error);
}

TEST_CASE("device parsing") {
  CHECK(parse_device("cpu") == Device::cpu());
  CHECK(parse_device("cuda") == Device::cuda(0));
  CHECK(parse_device("cuda:3") == Device::cuda(3));
  CHECK_THROWS_WITH_AS(parse_device("gpu"), doctest::Contains("use cpu, cuda or cuda:N"), Error);
  CHECK_THROWS_AS(parse_device("cuda:x"), Error);
}

TEST_CASE("generator is reproducible and well spread") {
  Generator a(7), b(7);
  double sum = 0, sq = 0;
  for (int i = 0; i < 20000; ++i) {
    const float u = a.uniform();
    CHECK(u == b.uniform());
    REQUIRE(u >= 0.f);
    REQUIRE(u < 1.f);
    const float z = a.normal();
    b.normal();
    sum += z;
    sq += z * z;
  }
  CHECK(std::abs(sum / 20000) < 0.03);
  CHECK(std::abs(sq / 20000 - 1.0) < 0.05);
  for (int i = 0; i < 1000; ++i) {
    const int64_t r = a.randint(7);
    REQUIRE(r >= 0);
    REQUIRE(r < 7);
  }
}

TEST_CASE("cuda round trip [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  Tensor a = test::random_tensor({3, 5, 7}, 2);
  Tensor d = a.to(Device::cuda(0));
  CHECK(d.device() == Device::cuda(0));
  CHECK(test::bit_equal(d.to(Device::cpu()), a));
  Tensor i = Tensor::from_vector<int32_t>({5, -1, 7}, {3}, Device::cuda(0));
  CHECK(i.to_vector<int32_t>() == std::vector<int32_t>{5, -1, 7});
}

TEST_CASE("ops name both devices on a mismatch [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  Tensor a = test::random_tensor({4}, 3);
  Tensor b = a.to(Device::cuda(0));
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("different devices (cpu and cuda:0)"), Error);
}
