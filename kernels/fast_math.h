// Branch-free float erf and exp for loops the compiler vectorises (the fast CPU GELU,
// kernels/gelu_fast.cpp). std::erf / std::exp stay the reference (kernels/gelu.cpp); these are
// tested against them (tests/op/test_gelu_fast.cpp): erf within 2 ulp of the exact value for
// every float tried, exp_nonpositive within 2 ulp on [-87, 0].
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace learner::fast {

// e^y for y <= 0 (clamped at -87, where e^y is still a normal float; NaN gives NaN): y = n ln 2 + r with
// |r| <= ln 2 / 2, e^r by its Taylor series to r^7 (truncation below 5e-9 relative), times 2^n
// built in the exponent bits.
inline float exp_nonpositive(float y) {
  const float yc = y >= -87.f ? y : -87.f;  // NaN too, so that the cast below is defined
  const float shifter = 12582912.f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (yc * 1.44269504f + shifter) - shifter;
  const float r = (yc - n * 0.693145752f) - n * 1.42860677e-6f;  // ln 2 in two parts
  float p = 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float value = p * scale;
  return y != y ? y : value;  // NaN stays NaN
}

// erf(x): for |x| < 1, x P(2x^2 - 1); for 1 <= |x| <= 4, 1 - e^{-x^2} R(s) with
// s = (1/|x| - 0.625) / 0.375 (erfc(a) e^{a^2} is smooth in 1/a); erf = 1 in float beyond 3.92.
// P and R are Chebyshev fits (degree 6 and 10, errors 4e-9 and 7e-9 relative) written in the
// power basis of their [-1, 1] variable, where the coefficients decay.
inline float erf(float x) {
  const float a = std::fabs(x);
  const float s1 = 2.f * a * a - 1.f;
  float p = 1.25107408e-06f;
  p = p * s1 - 1.76615277e-05f;
  p = p * s1 + 2.17486117e-04f;
  p = p * s1 - 2.28542747e-03f;
  p = p * s1 + 1.98525061e-02f;
  p = p * s1 - 1.40536096e-01f;
  p = p * s1 + 9.65468738e-01f;
  const float small = a * p;
  const float c = a < 1.f ? 1.f : a > 4.f ? 4.f : a;
  const float s2 = (1.f / c - 0.625f) / 0.375f;
  float q = -2.02453568e-06f;
  q = q * s2 + 3.72375766e-06f;
  q = q * s2 + 2.25820861e-06f;
  q = q * s2 - 2.78863751e-05f;
  q = q * s2 + 1.19824028e-04f;
  q = q * s2 - 3.48245847e-04f;
  q = q * s2 + 4.61494099e-04f;
  q = q * s2 + 2.30805354e-03f;
  q = q * s2 - 2.42430285e-02f;
  q = q * s2 + 1.43356412e-01f;
  q = q * s2 + 3.05952993e-01f;
  const float large = 1.f - exp_nonpositive(-c * c) * q;
  const float magnitude = a < 1.f ? small : large;
  const float r = x < 0.f ? -magnitude : magnitude;
  return x != x ? x : r;  // NaN stays NaN (the clamps above would make it a number)
}

}  // namespace learner::fast
