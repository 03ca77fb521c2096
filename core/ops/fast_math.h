// float32 exp, tanh and sigmoid written with arithmetic, bit operations and selects only, so that loops over arrays
// vectorize (libm's expf/tanhf are calls the compiler cannot vectorize; the files using these are compiled with
// -fno-trapping-math, which lets the compiler compute both sides of a select). Accuracy, checked against double
// precision over dense sweeps by tests/test_internal_fast_math.cc: relative error below 2e-7 for exp (in the normal
// range of its result) and sigmoid, 4e-7 for tanh; NaN, +-inf, -0 and overflow as libm's. double keeps the
// standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mxc {
namespace op {

// exp(x) for x in [-87.3, 88.7] (the normal float range of the result), by x = n ln2 + r with |r| <= ln2 / 2,
// exp(r) by its Taylor polynomial to r^7 (truncation below 6e-9 relative), and 2^n put into the exponent bits.
// Beyond the range: +inf above, 0 below (through the clamps); NaN stays NaN.
inline float FastExp(float x) {
  const float hi = 88.72283f, lo = -87.33654f;
  const float c = x > hi ? hi : (x < lo ? lo : x);  // NaN passes through both tests unchanged
  // Rounded to the nearest integer by adding and subtracting 1.5 * 2^23 (no libm call; the default rounding mode).
  const float shift = 12582912.0f;
  const float n = (c * 1.44269504f + shift) - shift;
  // ln2 split in two so that n * ln2_hi is exact.
  const float r = (c - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n as two factors, so that n = 128 (c near hi) does not overflow the exponent field.
  const int32_t k = static_cast<int32_t>(n);
  const int32_t k1 = k / 2, k2 = k - k1;
  uint32_t b1 = static_cast<uint32_t>(k1 + 127) << 23, b2 = static_cast<uint32_t>(k2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  const float y = p * s1 * s2;
  return x > hi ? INFINITY : (x < lo ? 0.0f : (x != x ? x : y));
}

// tanh: x P(x^2) / Q(x^2), a rational approximation of degrees 10 and 6 fitted (weighted least squares on the
// relative error, iterated towards minimax) over |x| <= 9.02, beyond which tanh rounds to +-1 in float32. One
// division and no exp: 4x faster than (1 - e) / (1 + e) with e = exp(-2|x|) (0.32 against 1.29 ms per 1M elements
// with AVX2), at a relative error below 4e-7 (under 7 ulp, from float32 rounding in the polynomials; the fit itself is
// within 6.3e-8; checked over every float32 below 9.1: 3.5e-7 with FMA, 3.9e-7 without). P(0) = Q(0) = 1, so
// tiny arguments come back unchanged; the result is clamped to [-1, 1].
inline float FastTanh(float x) {
  const float m = std::fabs(x);
  const float a = m > 9.02f ? 9.02f : m;  // NaN passes through
  const float z = a * a;
  float p = 1.8327782e-11f;
  p = p * z - 1.2818643e-08f;
  p = p * z + 9.28360896e-06f;
  p = p * z + 0.00292284624f;
  p = p * z + 0.12921308f;
  p = p * z + 1.0f;
  float q = 0.000228368968f;
  q = q * z + 0.0237721037f;
  q = q * z + 0.46254608f;
  q = q * z + 1.0f;
  const float r = a * p / q;
  return std::copysign(r > 1.0f ? 1.0f : r, x);  // keeps the sign of -0 and of NaN
}

// 1 / (1 + exp(-x)).
inline float FastSigmoid(float x) { return 1.0f / (1.0f + FastExp(-x)); }

// double: the standard library.
inline double FastTanh(double x) { return std::tanh(x); }
inline double FastSigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace op
}  // namespace mxc
