// The arithmetic of _contrib_quantized_batch_norm, shared by the CPU kernel (core/ops/quantized_bn.cc) and the GPU
// kernel (cuda/quant3.cu): a plain header nvcc compiles too.
//
// MXNet 1.9.1's pip build (oneDNN), found by probing it with every int8 and uint8 value over hundreds of random
// channels (bindings/python/tests/test_quantization3.py holds its printed outputs): with M_d = max(|min_data|,
// |max_data|), M_o = max(|min_calib_range|, |max_calib_range|), s_d = 127.5 / M_d, s_o = 127.5 / M_o and per channel
// inv = 1 / sqrt(var + eps), every step in float32 (no fused multiply-add):
//   scale = ((gamma * inv) * s_o / s_d) / sqrt(1 + eps),  shift = (beta - (mean * gamma) * inv) * s_o,
//   out = clamp(rint(q * scale + shift), -128, 127) (int8), NaN as 0,
// with q the int8 value, or floor(u / 2) of a uint8 value u. (eps is applied twice, as MXNet does: it folds the
// statistics into the scale and then runs oneDNN's batch norm with variance 1.) fix_gamma is ignored (gamma is
// always used) and the moving statistics are always used, as there. The output range is the calibration range.
#pragma once

#include <cmath>
#include <cstdint>

#include "quant2_impl.h"

#ifdef __CUDACC__
#define MXC_QUANT3_HD __host__ __device__
#else
#define MXC_QUANT3_HD
#endif

namespace mxc {
namespace op {

// The scale and shift of one channel; md, mo the largest magnitudes of the data's and the output's ranges (a zero
// range gives infinities as MXNet's arithmetic does: no guard).
MXC_QUANT3_HD inline void QBNChannel(float gamma, float beta, float mean, float var, float eps, float md, float mo,
                                     float *scale, float *shift) {
  const float sd = Q2Div(127.5f, md), so = Q2Div(127.5f, mo);
  const float inv = Q2Div(1.0f, sqrtf(Q2Add(var, eps)));
  const float gi = Q2Mul(gamma, inv);
  *scale = Q2Div(Q2Div(Q2Mul(gi, so), sd), sqrtf(Q2Add(1.0f, eps)));
  *shift = Q2Mul(Q2Add(beta, -Q2Mul(Q2Mul(mean, gamma), inv)), so);
}

// The int8-domain value of one input element: q (int8) or floor(u / 2) (uint8).
MXC_QUANT3_HD inline float QBNIn(int8_t q) { return static_cast<float>(q); }
MXC_QUANT3_HD inline float QBNIn(uint8_t u) { return static_cast<float>(u >> 1); }

// One output: clamp(rint(x * scale + shift), -128, 127), NaN as 0.
MXC_QUANT3_HD inline int8_t QBNOne(float x, float scale, float shift) {
  const float v = Q2Add(Q2Mul(x, scale), shift);
  if (!(v == v)) return 0;
  const float r = rintf(v);
  if (r <= -128.0f) return -128;
  if (r >= 127.0f) return 127;
  return static_cast<int8_t>(r);
}

}  // namespace op
}  // namespace mxc
