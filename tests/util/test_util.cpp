// Test helpers (see test_util.h).
#include "tests/util/test_util.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "framework/autograd.h"
#include "framework/random.h"

namespace learner::test {

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi, Device device) {
  Generator gen(seed * 7919 + 17);
  std::vector<float> values(shape_numel(shape));
  for (float& v : values) v = gen.uniform(lo, hi);
  return Tensor::from_vector(values, shape, device);
}

void expect_close(const std::vector<float>& actual, const std::vector<float>& reference,
                  double atol, double rtol, const char* what) {
  REQUIRE_MESSAGE(actual.size() == reference.size(), std::string(what), ": sizes differ ", actual.size(),
                  " vs ", reference.size());
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], r = reference[i];
    const bool ok = std::fabs(a - r) <= atol + rtol * std::fabs(r);  // NaN fails too
    if (!ok) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (bad > 0) {
    FAIL_CHECK(std::string(what), ": ", bad, " of ", actual.size(), " elements differ; first at index ", first,
               ": got ", actual[first], ", expected ", reference[first], " (atol ", atol,
               ", rtol ", rtol, ")");
  }
}

void expect_close(const Tensor& actual, const Tensor& reference, double atol, double rtol,
                  const char* what) {
  REQUIRE_MESSAGE(actual.shape() == reference.shape(), std::string(what), ": shapes differ ",
                  shape_str(actual.shape()), " vs ", shape_str(reference.shape()));
  expect_close(actual.to_vector<float>(), reference.to_vector<float>(), atol, rtol, what);
}

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ha = a.to(Device::cpu()), hb = b.to(Device::cpu());
  return std::memcmp(ha.raw_data(), hb.raw_data(), ha.nbytes()) == 0;
}

static double weighted_sum(const Tensor& out, const std::vector<float>& w) {
  const std::vector<float> v = out.to_vector<float>();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * w[i];
  return s;
}

void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                     std::vector<Tensor> inputs, const GradCheck& options) {
  for (Tensor& t : inputs)
    if (t.defined()) t.zero_grad();  // undefined: an absent optional argument (a bias)
  Tensor out = f(inputs);
  const Tensor w = random_tensor(out.shape(), 4242, 0.5f, 1.5f, out.device());
  const std::vector<float> w_host = w.to_vector<float>();
  out.backward(w);

  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    REQUIRE_MESSAGE(x.grad().defined(), "input ", k, " received no gradient");
    const std::vector<float> analytic = x.grad().to_vector<float>();
    const int64_t n = x.numel();
    const int64_t stride = std::max<int64_t>(1, n / options.max_points);
    std::vector<float> host = x.to_vector<float>();
    for (int64_t i = 0; i < n; i += stride) {
      const float original = host[i];
      auto eval_at = [&](float value) {
        host[i] = value;
        Tensor perturbed = Tensor::from_vector(host, x.shape(), x.device());
        std::vector<Tensor> args = inputs;
        args[k] = perturbed;
        NoGradGuard no_grad;
        return weighted_sum(f(args), w_host);
      };
      const double plus = eval_at(original + options.eps);
      const double minus = eval_at(original - options.eps);
      host[i] = original;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double a = analytic[i];
      const bool ok = std::fabs(a - numeric) <= options.atol + options.rtol * std::fabs(numeric);
      CHECK_MESSAGE(ok, "input ", k, " element ", i, ": analytic ", a, " vs numeric ", numeric);
      if (!ok) return;  // one report per call is enough to debug
    }
  }
}

bool gpu_or_skip() {
  if (cuda_available()) return true;
  MESSAGE("no GPU (cudaGetDeviceCount reports none): CUDA case skipped");
  return false;
}

}  // namespace learner::test
