// Initialisers: values drawn on the host in element order, then copied to the device.
#include "framework/nn/init.h"

#include <cmath>
#include <vector>

namespace learner::nn {

namespace {
void assign(Tensor& t, const std::vector<float>& values) {
  copy_bytes(t.raw_data(), t.device(), values.data(), Device::cpu(), values.size() * sizeof(float));
}
int64_t receptive_field(const Tensor& w) {
  int64_t r = 1;
  for (int d = 2; d < w.dim(); ++d) r *= w.size(d);
  return r;
}
}  // namespace

void uniform_(Tensor& t, float lo, float hi, Generator& gen) {
  std::vector<float> v(t.numel());
  for (float& x : v) x = gen.uniform(lo, hi);
  assign(t, v);
}

void normal_(Tensor& t, float mean, float std, Generator& gen) {
  std::vector<float> v(t.numel());
  for (float& x : v) x = gen.normal(mean, std);
  assign(t, v);
}

void trunc_normal_(Tensor& t, float mean, float std, float lo, float hi, Generator& gen) {
  LEARNER_CHECK(lo < hi && mean - 6 * std < hi && mean + 6 * std > lo, "trunc_normal_: the interval [", lo, ", ",
                hi, "] holds almost none of N(", mean, ", ", std, ")");
  std::vector<float> v(t.numel());
  for (float& x : v) {
    do {
      x = gen.normal(mean, std);
    } while (x < lo || x > hi);
  }
  assign(t, v);
}

void constant_(Tensor& t, float value) { assign(t, std::vector<float>(t.numel(), value)); }

int64_t fan_in(const Tensor& weight) { return weight.size(1) * receptive_field(weight); }
int64_t fan_out(const Tensor& weight) { return weight.size(0) * receptive_field(weight); }

void default_weight_init_(Tensor& weight, Generator& gen) {
  const float bound = 1.f / std::sqrt(static_cast<float>(fan_in(weight)));
  uniform_(weight, -bound, bound, gen);
}

void default_bias_init_(Tensor& bias, const Tensor& weight, Generator& gen) {
  const float bound = 1.f / std::sqrt(static_cast<float>(fan_in(weight)));
  uniform_(bias, -bound, bound, gen);
}

void kaiming_normal_fan_out_(Tensor& weight, Generator& gen) {
  const float std = std::sqrt(2.f / static_cast<float>(fan_out(weight)));
  normal_(weight, 0.f, std, gen);
}

}  // namespace learner::nn
