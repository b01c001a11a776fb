// Multi-rank scenarios (see dist_scenarios.h): each rank checks its share of a global
// computation against a one-process reference it builds itself.
#include "tests/dist/dist_scenarios.h"

#include <cstring>
#include <memory>
#include <vector>

#include "parallel/global_batch.h"
#include "parallel/grad_sync.h"
#include "parallel/sync_batchnorm.h"
#include "framework/nn/module.h"
#include "framework/ops.h"
#include "framework/optim/optimizer.h"
#include "tests/util/test_util.h"

namespace learner::test::dist_scenarios {

namespace {

// Rows [first, first + count) of t as a fresh tensor with no history.
Tensor rows_of(const Tensor& t, int64_t first, int64_t count) {
  NoGradGuard no_grad;
  return slice(t.detach(), 0, first, first + count).clone();
}

Tensor leaf(Tensor t) {
  t.set_requires_grad(true);
  return t;
}

// What a CPU engine must produce: per element, the double sum in rank order, rounded once.
std::vector<float> rank_ordered(const std::vector<Tensor>& per_rank, dist::ReduceOp op) {
  const size_t n = static_cast<size_t>(per_rank[0].numel());
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (const Tensor& t : per_rank) s += t.data<float>()[i];
    out[i] = static_cast<float>(op == dist::ReduceOp::Average ? s / per_rank.size() : s);
  }
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

void collectives(dist::Communicator& comm) {
  const int R = comm.world_size(), me = comm.rank();
  for (const int64_t n : {int64_t{1}, int64_t{3}, int64_t{37}, int64_t{1001}}) {
    std::vector<Tensor> inputs;
    for (int r = 0; r < R; ++r) inputs.push_back(random_tensor({n}, 100 + 7 * r + n));
    for (const dist::ReduceOp op : {dist::ReduceOp::Sum, dist::ReduceOp::Average}) {
      Tensor t = inputs[me].clone();
      comm.all_reduce(t, op);
      CHECK_MESSAGE(same_bits(t.to_vector<float>(), rank_ordered(inputs, op)), "all_reduce of ",
                    n, " elements, op ", static_cast<int>(op));
      Tensor a = inputs[me].clone();
      comm.all_reduce_async(a, op)->wait();
      CHECK(same_bits(a.to_vector<float>(), t.to_vector<float>()));
    }
  }

  // all_gather: f32 (3, 5) and i64 (7) -> rank blocks in rank order.
  const Tensor mine = random_tensor({3, 5}, 300 + me);
  const Tensor gathered = comm.all_gather(mine);
  CHECK(gathered.shape() == Shape{3 * R, 5});
  for (int r = 0; r < R; ++r)
    CHECK(bit_equal(rows_of(gathered, 3 * r, 3), random_tensor({3, 5}, 300 + r)));
  std::vector<int64_t> ids(7);
  for (int i = 0; i < 7; ++i) ids[i] = int64_t{1} << 40 | (me * 100 + i);
  const std::vector<int64_t> all_ids =
      comm.all_gather(Tensor::from_vector(ids, {7})).to_vector<int64_t>();
  CHECK(all_ids.size() == static_cast<size_t>(7 * R));
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < 7; ++i) CHECK(all_ids[r * 7 + i] == (int64_t{1} << 40 | (r * 100 + i)));

  // broadcast: u8 from the last rank, f32 and i32 from rank 0.
  std::vector<uint8_t> bytes(13);
  for (int i = 0; i < 13; ++i) bytes[i] = static_cast<uint8_t>(me * 31 + i);
  Tensor b8 = Tensor::from_vector(bytes, {13});
  comm.broadcast(b8, R - 1);
  const std::vector<uint8_t> got8 = b8.to_vector<uint8_t>();
  for (int i = 0; i < 13; ++i) CHECK(got8[i] == static_cast<uint8_t>((R - 1) * 31 + i));
  Tensor bf = random_tensor({2, 9}, 500 + me);
  comm.broadcast(bf, 0);
  CHECK(bit_equal(bf, random_tensor({2, 9}, 500)));
  Tensor bi = Tensor::from_vector(std::vector<int32_t>{me, -me, 7}, {3});
  comm.broadcast(bi, 0);
  CHECK(bi.to_vector<int32_t>() == std::vector<int32_t>{0, 0, 7});

  comm.barrier();

  const std::vector<double> sums = dist::sum_over_ranks({0.1 * (me + 1), 1e17 + me}, comm);
  double expect0 = 0, expect1 = 0;
  for (int r = 0; r < R; ++r) {
    expect0 += 0.1 * (r + 1);
    expect1 += 1e17 + r;
  }
  CHECK(sums[0] == expect0);
  CHECK(sums[1] == expect1);

  // Misuse is reported on the calling rank before anything is sent.
  Tensor bytes_tensor = Tensor::zeros({4}, DType::U8);
  CHECK_THROWS_AS(comm.all_gather(bytes_tensor), Error);
  Tensor ints = Tensor::zeros({4}, DType::I64);
  CHECK_THROWS_AS(comm.all_reduce_sum(ints), Error);
  Tensor scalar = Tensor::scalar(1.f);
  CHECK_THROWS_AS(comm.all_gather(scalar), Error);
}

void determinism(dist::Communicator& comm) {
  const Tensor input = random_tensor({1001}, 900 + comm.rank(), -1e3f, 1e3f);
  Tensor first = input.clone(), second = input.clone();
  comm.all_reduce_sum(first);
  comm.all_reduce_sum(second);
  CHECK(bit_equal(first, second));
  // Every rank holds the same bits: compare the gathered results row by row.
  const Tensor all = comm.all_gather(first.view_as_shape({1, 1001}));
  for (int r = 1; r < comm.world_size(); ++r)
    CHECK_MESSAGE(bit_equal(rows_of(all, r, 1), rows_of(all, 0, 1)), "rank ", r, " differs");
}

void global_contrastive(dist::Communicator& comm) {
  const int R = comm.world_size(), me = comm.rank();
  const int64_t B = 4, E = 5, F = 6;
  const Tensor y_all = random_tensor({B * R}, 41, 0.f, 1.f);
  const Tensor y_mine = rows_of(y_all, me * B, B);
  const Tensor Y = dist::all_gather_values(y_mine, comm);
  CHECK(bit_equal(Y, y_all));

  // (a) Embeddings as leaves: the gradient of this rank's rows is R times the reference.
  for (const ContrastiveKind kind : {ContrastiveKind::CL, ContrastiveKind::WCL}) {
    const Tensor u_all = random_tensor({B * R, E}, 42);
    Tensor ref_u = leaf(u_all.clone());
    const Tensor ref = contrastive_loss(ref_u, y_all, kind);
    ref.backward();
    Tensor u = leaf(rows_of(u_all, me * B, B));
    const Tensor loss = contrastive_loss(dist::all_gather_rows(u, comm), Y, kind);
    loss.backward();
    CHECK(loss.item() == doctest::Approx(ref.item()).epsilon(1e-6));
    expect_close(mul_scalar(u.grad(), 1.f / R), rows_of(ref_u.grad(), me * B, B), 1e-6, 1e-5,
                 "embedding gradient / R");
  }

  // (b) Through parameters, MSE over local rows + CL over the global batch, gradients averaged.
  const Tensor x_all = random_tensor({B * R, F}, 43);
  auto make_params = [&] {
    return std::vector<Tensor>{leaf(random_tensor({E, F}, 44)), leaf(random_tensor({E}, 45)),
                               leaf(random_tensor({1, E}, 46)), leaf(random_tensor({1}, 47))};
  };
  auto loss_of = [&](const std::vector<Tensor>& p, const Tensor& x, const Tensor& y,
                     bool global) {
    const Tensor u = linear(x, p[0], p[1]);
    const Tensor y_hat = reshape(linear(u, p[2], p[3]), {x.size(0)});
    const Tensor U = global ? dist::all_gather_rows(u, comm) : u;
    return add(mse_loss(y_hat, y), contrastive_loss(U, global ? Y : y, ContrastiveKind::WCL));
  };
  std::vector<Tensor> ref_p = make_params();
  const Tensor ref = loss_of(ref_p, x_all, y_all, false);
  ref.backward();
  std::vector<Tensor> p = make_params();
  const Tensor loss = loss_of(p, rows_of(x_all, me * B, B), y_mine, true);
  loss.backward();
  CHECK(dist::mean_over_ranks(loss.item(), comm) == doctest::Approx(ref.item()).epsilon(1e-5));
  std::vector<Tensor*> ptrs;
  for (Tensor& t : p) ptrs.push_back(&t);
  dist::GradientSync sync(comm, ptrs, 1e-4);
  sync.average();
  for (size_t i = 0; i < p.size(); ++i)
    expect_close(p[i].grad(), ref_p[i].grad(), 1e-6, 1e-4, "averaged parameter gradient");
}

void sync_batch_norm(dist::Communicator& comm) {
  const int R = comm.world_size(), me = comm.rank();
  const int64_t N = 2, C = 3, H = 3, W = 5;
  const Tensor x_all = random_tensor({N * R, C, H, W}, 61, 0.5f, 2.5f);
  const Tensor w_all = random_tensor({N * R, C, H, W}, 62, 0.5f, 1.5f);  // L = sum(w * y)
  const float momentum = 0.1f, eps = 1e-5f;

  Tensor ref_x = leaf(x_all.clone());
  Tensor ref_weight = leaf(random_tensor({C}, 63, 0.5f, 1.5f));
  Tensor ref_bias = leaf(random_tensor({C}, 64));
  Tensor ref_rm = random_tensor({C}, 65), ref_rv = random_tensor({C}, 66, 0.5f, 1.5f);
  const Tensor ref_y = batch_norm2d(ref_x, ref_weight, ref_bias, ref_rm, ref_rv, true, momentum, eps);
  sum(mul(ref_y, w_all)).backward();

  Tensor x = leaf(rows_of(x_all, me * N, N));
  Tensor weight = leaf(random_tensor({C}, 63, 0.5f, 1.5f));
  Tensor bias = leaf(random_tensor({C}, 64));
  Tensor rm = random_tensor({C}, 65), rv = random_tensor({C}, 66, 0.5f, 1.5f);
  const Tensor y = dist::sync_batch_norm2d(x, weight, bias, rm, rv, true, momentum, eps, comm);
  sum(mul(y, rows_of(w_all, me * N, N))).backward();

  expect_close(y, rows_of(ref_y, me * N, N), 1e-5, 1e-5, "sync bn output");
  expect_close(rm, ref_rm, 1e-6, 1e-6, "running_mean");
  expect_close(rv, ref_rv, 1e-6, 1e-6, "running_var");
  expect_close(x.grad(), rows_of(ref_x.grad(), me * N, N), 1e-5, 1e-4, "sync bn dx");
  // weight and bias get this rank's share; their sum over ranks is the reference.
  Tensor dweight = weight.grad().clone(), dbias = bias.grad().clone();
  comm.all_reduce_sum(dweight);
  comm.all_reduce_sum(dbias);
  expect_close(dweight, ref_weight.grad(), 1e-5, 1e-4, "sync bn dweight summed");
  expect_close(dbias, ref_bias.grad(), 1e-5, 1e-4, "sync bn dbias summed");

  // Eval mode is batch_norm2d with the running statistics, with no communication.
  const Tensor eval = dist::sync_batch_norm2d(x, weight, bias, rm, rv, false, momentum, eps, comm);
  const Tensor eval_ref = batch_norm2d(x, weight, bias, rm, rv, false, momentum, eps);
  CHECK(bit_equal(eval, eval_ref));

  Tensor flat = random_tensor({2, C}, 67);
  CHECK_THROWS_AS(dist::sync_batch_norm2d(flat, weight, bias, rm, rv, true, momentum, eps, comm),
                  Error);
}

void gradient_buckets(dist::Communicator& comm) {
  const int R = comm.world_size(), me = comm.rank();
  const std::vector<Shape> shapes = {{5}, {3, 7}, {11}, {1}, {2, 2, 3}, {4}, {9}};
  std::vector<Tensor> params;
  for (size_t i = 0; i < shapes.size(); ++i) params.push_back(leaf(random_tensor(shapes[i], 70 + i)));
  auto grad_for = [&](size_t i, int r) { return random_tensor(shapes[i], 1000 + 10 * r + i); };
  const size_t kNoGrad = 5, kRootOnly = 6;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i == kNoGrad || (i == kRootOnly && me != 0)) continue;
    params[i].set_grad(grad_for(i, me));
  }
  std::vector<Tensor*> ptrs;
  for (Tensor& t : params) ptrs.push_back(&t);
  dist::GradientSync sync(comm, ptrs, 40.0 / (1024 * 1024));  // 40 bytes: several buckets
  CHECK(sync.buckets().size() > 3);
  sync.average();
  sync.average();  // the mean of equal gradients is themselves: buffers are reused safely
  for (size_t i = 0; i < params.size(); ++i) {
    if (i == kNoGrad) {
      CHECK_FALSE(params[i].grad().defined());
      continue;
    }
    std::vector<Tensor> per_rank;
    for (int r = 0; r < R; ++r)
      per_rank.push_back(i == kRootOnly && r != 0 ? Tensor::zeros(shapes[i]) : grad_for(i, r));
    const std::vector<float> once = rank_ordered(per_rank, dist::ReduceOp::Average);
    // The second average() reduces R equal copies of `once`; R = 1, 2, 4 keep it exact.
    REQUIRE(params[i].grad().defined());
    expect_close(params[i].grad().to_vector<float>(), once, 1e-7, 1e-6, "bucketed mean");
  }
}

namespace {

// conv 3x3 -> (Sync)BatchNorm -> relu -> global average pool -> linear (embedding u) and a
// linear regression head on u.
class TinyNet : public nn::Module {
 public:
  explicit TinyNet(uint64_t seed) {
    conv_w = random_tensor({4, 3, 3, 3}, seed + 1, -0.5f, 0.5f);
    conv_b = random_tensor({4}, seed + 2, -0.1f, 0.1f);
    bn_w = random_tensor({4}, seed + 3, 0.8f, 1.2f);
    bn_b = random_tensor({4}, seed + 4, -0.1f, 0.1f);
    fc_w = random_tensor({6, 4}, seed + 5, -0.5f, 0.5f);
    fc_b = random_tensor({6}, seed + 6, -0.1f, 0.1f);
    head_w = random_tensor({1, 6}, seed + 7, -0.5f, 0.5f);
    head_b = random_tensor({1}, seed + 8, -0.1f, 0.1f);
    running_mean = Tensor::zeros({4});
    running_var = Tensor::ones({4});
    register_parameter("conv.weight", &conv_w);
    register_parameter("conv.bias", &conv_b);
    register_parameter("bn.weight", &bn_w);
    register_parameter("bn.bias", &bn_b);
    register_parameter("fc.weight", &fc_w);
    register_parameter("fc.bias", &fc_b);
    register_parameter("head.weight", &head_w);
    register_parameter("head.bias", &head_b);
    register_buffer("bn.running_mean", &running_mean);
    register_buffer("bn.running_var", &running_var);
  }
  Tensor forward(const Tensor& x) override {  // -> u (B, 6)
    Tensor h = conv2d(x, conv_w, conv_b, Conv2dParams{1, 1, 1, 1, 1, 1});
    h = sync != nullptr
            ? dist::sync_batch_norm2d(h, bn_w, bn_b, running_mean, running_var, true, 0.1f, 1e-5f, *sync)
            : batch_norm2d(h, bn_w, bn_b, running_mean, running_var, true, 0.1f, 1e-5f);
    return linear(global_avg_pool2d(relu(h)), fc_w, fc_b);
  }
  Tensor head(const Tensor& u) { return reshape(linear(u, head_w, head_b), {u.size(0)}); }

  Tensor conv_w, conv_b, bn_w, bn_b, fc_w, fc_b, head_w, head_b, running_mean, running_var;
  dist::Communicator* sync = nullptr;
};

}  // namespace

void training_equivalence(dist::Communicator& comm) {
  const int R = comm.world_size(), me = comm.rank();
  const int64_t B = 4;
  TinyNet ref(7), net(7 + 1000 * me);  // rank 0 starts like the reference; the broadcast fixes the rest
  net.sync = &comm;
  dist::broadcast_module(net, comm);
  {
    const auto mine = net.named_parameters(), theirs = ref.named_parameters();
    for (size_t i = 0; i < mine.size(); ++i)
      CHECK_MESSAGE(bit_equal(*mine[i].second, *theirs[i].second), "broadcast of ", mine[i].first);
  }
  optim::SgdOptions sgd;
  sgd.lr = 0.05f;
  sgd.momentum = 0.9f;
  optim::Sgd ref_opt(ref.parameters(), sgd), opt(net.parameters(), sgd);
  dist::GradientSync sync(comm, net.parameters(), 1e-3);
  for (int step = 0; step < 3; ++step) {
    const Tensor x_all = random_tensor({B * R, 3, 5, 5}, 2000 + step);
    const Tensor y_all = random_tensor({B * R}, 3000 + step, 0.f, 1.f);
    ref_opt.zero_grad();
    const Tensor u_ref = ref.forward(x_all);
    add(mse_loss(ref.head(u_ref), y_all), contrastive_loss(u_ref, y_all, ContrastiveKind::WCL))
        .backward();
    ref_opt.step();

    opt.zero_grad();
    const Tensor x = rows_of(x_all, me * B, B), y = rows_of(y_all, me * B, B);
    const Tensor u = net.forward(x);
    const Tensor U = dist::all_gather_rows(u, comm), Y = dist::all_gather_values(y, comm);
    add(mse_loss(net.head(u), y), contrastive_loss(U, Y, ContrastiveKind::WCL)).backward();
    sync.average();
    opt.step();
  }
  const auto mine = net.named_parameters(), theirs = ref.named_parameters();
  for (size_t i = 0; i < mine.size(); ++i)
    expect_close(*mine[i].second, *theirs[i].second, 1e-5, 1e-4, mine[i].first.c_str());
  expect_close(net.running_mean, ref.running_mean, 1e-6, 1e-5, "running_mean");
  expect_close(net.running_var, ref.running_var, 1e-6, 1e-5, "running_var");
}

void module_broadcast(dist::Communicator& comm) {
  TinyNet net(50 + comm.rank());
  net.running_mean = random_tensor({4}, 60 + comm.rank());
  dist::broadcast_module(net, comm);
  const TinyNet root(50);
  CHECK(bit_equal(net.conv_w, root.conv_w));
  CHECK(bit_equal(net.head_b, root.head_b));
  CHECK(bit_equal(net.running_mean, random_tensor({4}, 60)));
  if (comm.world_size() == 1) return;
  // Rank 1 builds another model: every rank learns it from the layout check.
  class Other : public nn::Module {
   public:
    explicit Other(int64_t n) : w(Tensor::zeros({n})) { register_parameter("w", &w); }
    Tensor forward(const Tensor& x) override { return x; }
    Tensor w;
  };
  Other other(comm.rank() == 1 ? 3 : 2);
  CHECK_THROWS_AS(dist::broadcast_module(other, comm), Error);
}

}  // namespace learner::test::dist_scenarios
