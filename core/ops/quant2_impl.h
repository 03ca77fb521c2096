// The per-element arithmetic of _contrib_quantized_elemwise_add, shared by the CPU kernel
// (core/ops/quantized_more.cc) and the GPU kernel (cuda/quant2.cu): a plain header nvcc compiles too.
//
// MXNet 1.9.1's pip build (oneDNN), found by probing it (tests/test_op_quant2.cc, test_quantization2.py hold its
// printed outputs): with M_a = max(|lhs_min|, |lhs_max|), M_b likewise, Q = 127.5 for int8 and 255.5 for uint8 inputs,
// the output range R = M_a + M_b and T = 2^31 (int32 output), or R = max(|min_calib|, |max_calib|) and T = 127.5
// (int8 output) / 255.5 (uint8 output) with a calibration range, every step in float32 (no fused multiply-add):
//   s_a = (M_a * T) / (R * Q_a),  s_b likewise,  out = clamp(rint(a * s_a + b * s_b)).
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define MXC_QUANT2_HD __host__ __device__
#else
#define MXC_QUANT2_HD
#endif

namespace mxc {
namespace op {

// float32 operations rounded one at a time (never contracted into a fused multiply-add).
MXC_QUANT2_HD inline float Q2Mul(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  volatile float r = a * b;
  return r;
#endif
}
MXC_QUANT2_HD inline float Q2Add(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  volatile float r = a + b;
  return r;
#endif
}
MXC_QUANT2_HD inline float Q2Div(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  volatile float r = a / b;
  return r;
#endif
}

// The multiplier of an input of range m (quantized with q levels per unit range) into an output of range r with t
// levels; 0 when r or m is not a positive number.
MXC_QUANT2_HD inline float QAddScale(float m, float t, float r, float q) {
  if (!(r > 0) || !(m > 0)) return 0.0f;
  return Q2Div(Q2Mul(m, t), Q2Mul(r, q));
}

// The two multipliers and the output range of quantized_elemwise_add from the inputs' ranges ma, mb (largest
// magnitudes), their levels qa, qb (127.5 int8, 255.5 uint8), and the calibration range [clo, chi] (calib) with the
// output's levels t (127.5 int8, 255.5 uint8); without calibration the int32 output's T = 2^31, range -+(ma + mb).
MXC_QUANT2_HD inline void QAddScales(float ma, float mb, float qa, float qb, bool calib, float clo, float chi, float t,
                                     float *sa, float *sb, float *lo, float *hi) {
  float r;
  if (calib) {
    const float a = clo < 0 ? -clo : clo, b = chi < 0 ? -chi : chi;
    r = a > b ? a : b;
    *lo = clo, *hi = chi;
  } else {
    r = Q2Add(ma, mb);
    t = 2147483648.0f;
    *lo = -r, *hi = r;
  }
  *sa = QAddScale(ma, t, r, qa);
  *sb = QAddScale(mb, t, r, qb);
}

// clamp(rint(a * sa + b * sb), lo, hi), NaN as 0.
MXC_QUANT2_HD inline int64_t QAddOne(float a, float b, float sa, float sb, double lo, double hi) {
  const double v = static_cast<double>(Q2Add(Q2Mul(a, sa), Q2Mul(b, sb)));
  if (v != v) return 0;
  double r = rint(v);
  r = r < lo ? lo : r;
  r = r > hi ? hi : r;
  return static_cast<int64_t>(r);
}

// ---- quantized_elemwise_mul (MXNet 1.9.1's pip build, found by probing it; int8 inputs only, as there): with
// s_a = 127.5 / M_a, s_b = 127.5 / M_b (float32) and p = float32(a * b):
// - int32 output: a * b exactly, range -+(M_a / 127) * (M_b / 127) * 2^31;
// - float output: p * (1 / (s_a * s_b));
// - int8 output (calibration range, M_c its largest magnitude): int8(int32(trunc(p * ((127.5 / M_c) * (1 / (s_a *
//   s_b)))))), the int8 cast wrapping around as MXNet's does.
MXC_QUANT2_HD inline float QMulInvScale(float ma, float mb) {
  if (!(ma > 0) || !(mb > 0)) return 0.0f;
  return Q2Div(1.0f, Q2Mul(Q2Div(127.5f, ma), Q2Div(127.5f, mb)));
}
MXC_QUANT2_HD inline float QMulInt32Range(float ma, float mb) {
  return Q2Mul(Q2Mul(Q2Div(ma, 127.0f), Q2Div(mb, 127.0f)), 2147483648.0f);
}
MXC_QUANT2_HD inline float QMulCalibScale(float ma, float mb, float mc) {
  if (!(mc > 0)) return 0.0f;
  return Q2Mul(Q2Div(127.5f, mc), QMulInvScale(ma, mb));
}
MXC_QUANT2_HD inline int8_t QMulInt8(int32_t prod, float scale) {
  double v = static_cast<double>(Q2Mul(static_cast<float>(prod), scale));
  if (v != v) return 0;
  v = v < -2147483648.0 ? -2147483648.0 : v > 2147483647.0 ? 2147483647.0 : v;
  const int32_t t = static_cast<int32_t>(v);  // truncation
  return static_cast<int8_t>(static_cast<uint8_t>(static_cast<uint32_t>(t) & 0xffu));
}

// ---- quantized_embedding (MXNet 1.9.1, probed): row trunc(index) of the int8 weight, the index clipped to
// [0, rows - 1] (NaN as 0); the weight's range passed through.
MXC_QUANT2_HD inline int64_t QEmbIndex(double v, int64_t rows) {
  if (v != v || v <= 0) return 0;
  const double t = v >= static_cast<double>(rows - 1) ? static_cast<double>(rows - 1) : trunc(v);
  return static_cast<int64_t>(t);
}

// ---- quantize_asym (MXNet's documented formula; its pip build crashes on this operator, so it could not be asked):
// scale = 255 / (max - min), shift = 255 - max * scale, out = trunc(clamp(x * scale + shift + 0.5, 0, 255)) in
// float32, NaN as 0; an empty or zero range gives scale 0 and shift 0.
MXC_QUANT2_HD inline void QAsymParams(float lo, float hi, float *scale, float *shift) {
  const float d = Q2Add(hi, -lo);
  if (!(d > 0)) {
    *scale = 0.0f, *shift = 0.0f;
    return;
  }
  *scale = Q2Div(255.0f, d);
  *shift = Q2Add(255.0f, -Q2Mul(hi, *scale));
}

MXC_QUANT2_HD inline uint8_t QAsymOne(float x, float scale, float shift) {
  const float v = Q2Add(Q2Add(Q2Mul(x, scale), shift), 0.5f);
  if (v != v) return 0;
  if (v <= 0.0f) return 0;
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(v);
}

}  // namespace op
}  // namespace mxc
