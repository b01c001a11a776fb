// Shape ops: values against naive loops, views that share storage, gradients by finite
// differences, CUDA against the CPU, and errors that name the op and the shapes.
#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/shape.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {

const char* base_of(const Tensor& t) { return static_cast<const char*>(t.impl().storage->data()); }

}  // namespace

TEST_CASE("reshape and flatten are views with -1 inference") {
  Tensor x = test::random_tensor({2, 3, 4}, 1);
  Tensor y = reshape(x, {4, -1});
  CHECK(y.shape() == Shape{4, 6});
  CHECK(y.raw_data() == x.raw_data());
  CHECK(y.to_vector() == x.to_vector());
  CHECK(view(x, {-1}).shape() == Shape{24});
  CHECK(flatten(x).shape() == Shape{2, 12});
  CHECK(flatten(x, 0).shape() == Shape{24});
  CHECK(flatten(x, -1).shape() == Shape{2, 3, 4});
  CHECK(flatten(test::random_tensor({2, 3, 4, 5}, 2), 2).shape() == Shape{2, 3, 20});
  CHECK(reshape(Tensor::zeros({3}, DType::I64), {1, 3}).shape() == Shape{1, 3});
}

TEST_CASE("reshape errors name both shapes") {
  Tensor x = test::random_tensor({2, 3}, 1);
  CHECK_THROWS_WITH_AS(reshape(x, {4, 2}),
                       "reshape: cannot reshape f32[2, 3] on cpu (6 elements) into [4, 2]", Error);
  CHECK_THROWS_WITH_AS(reshape(x, {4, -1}),
                       "reshape: cannot reshape f32[2, 3] on cpu (6 elements) into [4, -1]", Error);
  CHECK_THROWS_WITH_AS(reshape(x, {-1, -1}), doctest::Contains("into [-1, -1]"), Error);
  CHECK_THROWS_WITH_AS(reshape(x, {0, -1}), doctest::Contains("into [0, -1]"), Error);
  CHECK_THROWS_WITH_AS(flatten(x, 2), "flatten: dimension 2 is out of range for a tensor of rank 2",
                       Error);
}

TEST_CASE("permute moves elements like a naive loop") {
  Tensor x = test::random_tensor({2, 3, 4}, 3);
  const std::vector<float> v = x.to_vector();
  Tensor y = permute(x, {2, 0, 1});
  REQUIRE(y.shape() == Shape{4, 2, 3});
  std::vector<float> expect(24);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) expect[(c * 2 + a) * 3 + b] = v[(a * 3 + b) * 4 + c];
  CHECK(y.to_vector() == expect);
  CHECK(permute(x, {0, -2, -1}).to_vector() == v);  // the identity
  // (B, T, C, H, W) -> (B, C, T, H, W), the layout change a video model needs.
  Tensor video = test::random_tensor({2, 3, 5, 2, 3}, 4);
  Tensor moved = permute(video, {0, 2, 1, 3, 4});
  const std::vector<float> vv = video.to_vector(), mv = moved.to_vector();
  bool same = true;
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 3; ++t)
      for (int c = 0; c < 5; ++c)
        for (int hw = 0; hw < 6; ++hw)
          same = same && mv[((b * 5 + c) * 3 + t) * 6 + hw] == vv[((b * 3 + t) * 5 + c) * 6 + hw];
  CHECK(same);
  Tensor ints = Tensor::from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(permute(ints, {1, 0}).to_vector<int64_t>() == std::vector<int64_t>{1, 4, 2, 5, 3, 6});
  CHECK_THROWS_WITH_AS(permute(x, {0, 1}),
                       "permute: dims [0, 1] name 2 axes but f32[2, 3, 4] on cpu has 3", Error);
  CHECK_THROWS_WITH_AS(permute(x, {0, 1, 1}),
                       doctest::Contains("dims [0, 1, 1] are not a permutation"), Error);
}

TEST_CASE("concat joins along any dimension") {
  Tensor a = test::random_tensor({2, 3, 2}, 5), b = test::random_tensor({2, 1, 2}, 6);
  Tensor c = concat({a, b}, 1);
  REQUIRE(c.shape() == Shape{2, 4, 2});
  const std::vector<float> av = a.to_vector(), bv = b.to_vector(), cv = c.to_vector();
  bool same = true;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k)
        same = same && cv[(i * 4 + j) * 2 + k] == (j < 3 ? av[(i * 3 + j) * 2 + k] : bv[(i + 0) * 2 + k]);
  CHECK(same);
  Tensor rows = concat({a, a, a}, 0);
  CHECK(rows.shape() == Shape{6, 3, 2});
  CHECK(slice(rows, 0, 4, 6).to_vector() == av);
  Tensor last = concat({a, test::random_tensor({2, 3, 3}, 7)}, -1);
  CHECK(last.shape() == Shape{2, 3, 5});
  Tensor i1 = Tensor::from_vector<int64_t>({1, 2}, {2}), i2 = Tensor::from_vector<int64_t>({3}, {1});
  CHECK(concat({i1, i2}, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
  CHECK_THROWS_WITH_AS(concat({a, b}, 0),
                       "concat: input 1 f32[2, 1, 2] on cpu does not match input 0 f32[2, 3, 2] on "
                       "cpu outside dimension 0",
                       Error);
  CHECK_THROWS_WITH_AS(concat({}, 0), "concat: needs at least one tensor", Error);
  CHECK_THROWS_WITH_AS(concat({a, Tensor::zeros({2, 3, 2}, DType::I64)}, 0),
                       doctest::Contains("differs in dtype or device"), Error);
}

TEST_CASE("slice is a view for whole outer blocks and a copy otherwise") {
  Tensor x = test::random_tensor({5, 3}, 8);
  const std::vector<float> v = x.to_vector();
  Tensor rows = slice(x, 0, 1, 4);
  CHECK(rows.shape() == Shape{3, 3});
  CHECK(base_of(rows) == base_of(x));
  CHECK(static_cast<const char*>(rows.raw_data()) ==
        static_cast<const char*>(x.raw_data()) + 3 * sizeof(float));
  CHECK(rows.to_vector() == std::vector<float>(v.begin() + 3, v.begin() + 12));
  // A slice of a slice adds the offsets.
  Tensor inner = slice(rows, 0, 1, 2);
  CHECK(inner.to_vector() == std::vector<float>(v.begin() + 6, v.begin() + 9));
  // Every dimension before `dim` has size 1: still whole blocks, still a view.
  Tensor one = test::random_tensor({1, 6, 2}, 9);
  Tensor view_slice = slice(one, 1, -4, -1);
  CHECK(view_slice.shape() == Shape{1, 3, 2});
  CHECK(base_of(view_slice) == base_of(one));
  const std::vector<float> ov = one.to_vector();
  CHECK(view_slice.to_vector() == std::vector<float>(ov.begin() + 4, ov.begin() + 10));
  // Columns: a copy.
  Tensor cols = slice(x, 1, 1, 3);
  CHECK(base_of(cols) != base_of(x));
  std::vector<float> expect;
  for (int r = 0; r < 5; ++r) expect.insert(expect.end(), {v[r * 3 + 1], v[r * 3 + 2]});
  CHECK(cols.to_vector() == expect);
  CHECK(slice(x, 1, 2, 2).shape() == Shape{5, 0});
  CHECK_THROWS_WITH_AS(slice(x, 1, 2, 4),
                       "slice: range [2, 4) does not fit dimension 1 of size 3 of f32[5, 3] on cpu",
                       Error);
  CHECK_THROWS_WITH_AS(slice(x, 0, 3, 2), doctest::Contains("range [3, 2)"), Error);
}

TEST_CASE("index_select gathers rows like a naive loop") {
  Tensor x = test::random_tensor({3, 4, 2}, 10);
  const std::vector<float> v = x.to_vector();
  Tensor idx64 = Tensor::from_vector<int64_t>({3, 0, 3, 1, 3}, {5});
  Tensor idx32 = Tensor::from_vector<int32_t>({3, 0, 3, 1, 3}, {5});
  Tensor y = index_select(x, 1, idx64);
  REQUIRE(y.shape() == Shape{3, 5, 2});
  const int64_t picks[5] = {3, 0, 3, 1, 3};
  std::vector<float> expect;
  for (int o = 0; o < 3; ++o)
    for (int64_t r : picks) expect.insert(expect.end(), {v[(o * 4 + r) * 2], v[(o * 4 + r) * 2 + 1]});
  CHECK(y.to_vector() == expect);
  CHECK(index_select(x, 1, idx32).to_vector() == expect);
  CHECK(index_select(x, 1, idx32, IndexCheck::Trusted).to_vector() == expect);
  CHECK(index_select(x, 0, Tensor::from_vector<int64_t>({2}, {1})).to_vector() ==
        std::vector<float>(v.begin() + 16, v.end()));
  Tensor labels = Tensor::from_vector<int64_t>({10, 20, 30}, {3});
  CHECK(index_select(labels, 0, Tensor::from_vector<int32_t>({2, 2, 0}, {3})).to_vector<int64_t>() ==
        std::vector<int64_t>{30, 30, 10});
}

TEST_CASE("index_select backward adds repeated rows and leaves unpicked rows zero") {
  Tensor x = test::random_tensor({4, 2}, 11).set_requires_grad(true);
  Tensor idx = Tensor::from_vector<int64_t>({2, 0, 2, 2}, {4});
  Tensor g = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  index_select(x, 0, idx).backward(g);
  CHECK(x.grad().to_vector() == std::vector<float>{3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8, 0, 0});
}

TEST_CASE("index_select errors name the bad index") {
  Tensor x = test::random_tensor({4, 2}, 12);
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::from_vector<int64_t>({1, 3, 4, 9}, {4})),
                       "index_select: index[2] = 4 is out of range for dimension 0 of size 4 of "
                       "f32[4, 2] on cpu",
                       Error);
  CHECK_THROWS_WITH_AS(index_select(x, 1, Tensor::from_vector<int32_t>({-1}, {1})),
                       doctest::Contains("index[0] = -1 is out of range for dimension 1 of size 2"),
                       Error);
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::zeros({2})),
                       "index_select: index must be i64 or i32, got f32[2] on cpu", Error);
  CHECK_THROWS_WITH_AS(index_select(x, 0, Tensor::zeros({1, 2}, DType::I64)),
                       doctest::Contains("argument 'index' must have rank 1"), Error);
}

TEST_CASE("shape op gradients match finite differences") {
  Tensor x = test::random_tensor({3, 4, 5}, 13).set_requires_grad(true);
  Tensor y = test::random_tensor({3, 2, 5}, 14).set_requires_grad(true);
  using Inputs = std::vector<Tensor>;
  test::check_gradients([](const Inputs& in) { return reshape(in[0], {-1, 10}); }, {x});
  test::check_gradients([](const Inputs& in) { return flatten(in[0]); }, {x});
  test::check_gradients([](const Inputs& in) { return permute(in[0], {1, 2, 0}); }, {x});
  test::check_gradients([](const Inputs& in) { return concat({in[0], in[1], in[0]}, 1); }, {x, y});
  test::check_gradients([](const Inputs& in) { return slice(in[0], 0, 1, 3); }, {x});
  test::check_gradients([](const Inputs& in) { return slice(in[0], 2, 1, 4); }, {x});
  Tensor idx = Tensor::from_vector<int64_t>({3, 1, 3, 0, 3}, {5});
  test::check_gradients([idx](const Inputs& in) { return index_select(in[0], 1, idx); }, {x});
  Tensor idx32 = Tensor::from_vector<int32_t>({2, 2}, {2});
  test::check_gradients([idx32](const Inputs& in) { return index_select(in[0], 0, idx32); }, {x});
  // A view used twice: both paths reach the same leaf.
  test::check_gradients(
      [](const Inputs& in) { return mul(slice(in[0], 0, 0, 2), slice(in[0], 0, 1, 3)); }, {x});
}

TEST_CASE("index_select on CUDA names an index out of range [cuda]") {
  REQUIRE_GPU_OR_SKIP();
  Tensor gx = test::random_tensor({3, 7, 5, 2}, 20).to(Device::cuda(0));
  CHECK_THROWS_WITH_AS(index_select(gx, 1, Tensor::from_vector<int64_t>({0, 7}, {2}).to(Device::cuda(0))),
                       doctest::Contains("index[1] = 7 is out of range for dimension 1 of size 7"),
                       Error);
}
