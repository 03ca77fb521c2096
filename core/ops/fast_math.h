// float32 exp, tanh and sigmoid written with arithmetic, bit operations and selects only, so that loops over arrays
// vectorize (libm's expf/tanhf are calls the compiler cannot vectorize; the files using these are compiled with
// -fno-trapping-math, which lets the compiler compute both sides of a select). Accuracy, checked against double
// precision over dense sweeps by tests/test_internal_fast_math.cc: relative error below 2e-7 for exp (in the normal
// range of its result), tanh and sigmoid; NaN, +-inf, -0 and overflow as libm's. double keeps the standard library.
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

// tanh: an odd Taylor polynomial below |x| = 0.3 (terms to x^11, truncation below 3e-9 relative), else
// (1 - e) / (1 + e) with e = exp(-2|x|); +-1 beyond |x| = 9.
inline float FastTanh(float x) {
  const float a = std::fabs(x);
  const float z = x * x;
  float p = -1382.0f / 155925;
  p = p * z + 62.0f / 2835;
  p = p * z - 17.0f / 315;
  p = p * z + 2.0f / 15;
  p = p * z - 1.0f / 3;
  const float small = x * (1.0f + z * p);  // keeps the sign of -0
  const float e = FastExp(-2.0f * (a > 9.0f ? 9.0f : a));
  const float big = std::copysign((1.0f - e) / (1.0f + e), x);
  return a < 0.3f ? small : (a > 9.0f ? std::copysign(1.0f, x) : (x != x ? x : big));
}

// 1 / (1 + exp(-x)).
inline float FastSigmoid(float x) { return 1.0f / (1.0f + FastExp(-x)); }

// double: the standard library.
inline double FastTanh(double x) { return std::tanh(x); }
inline double FastSigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace op
}  // namespace mxc
