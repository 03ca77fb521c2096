// The arithmetic of the int8 quantization operators per element, shared by the CPU kernels
// (core/ops/quantization.cc) and the GPU kernels (cuda/quant.cu): a plain header nvcc compiles too. Semantics are
// those of Apache MXNet 1.9.1's pip build (its CPU kernels), found by asking it:
// - quantize: int8 q = clamp(rint(x * 127 / M), -128, 127) with M = max(|min_range|, |max_range|), range out
//   (-M, M); uint8 q = clamp(rint(x * 255 / M), 0, 255), range out (min_range, max_range) as given.
// - quantize_v2 and requantize: the same with 127.5 / 255.5 (quantize_v2) and 127 / 255 (requantize) for the scale.
// - dequantize: x = q * (M / 127.5) for int8, q * (M / 255.5) for uint8.
// rint rounds half to even. NaN becomes 0 and a zero range M gives zeros (MXNet gives 127 there).
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define MXC_QUANT_HD __host__ __device__
#else
#define MXC_QUANT_HD
#endif

namespace mxc {
namespace op {

// The largest magnitude of the range [lo, hi].
MXC_QUANT_HD inline float QuantMaxAbs(float lo, float hi) {
  const float a = lo < 0 ? -lo : lo, b = hi < 0 ? -hi : hi;
  return a > b ? a : b;
}

// The multiplier r / M of a quantization to a type of range r (127, 255, 127.5, 255.5); 0 for a zero (or NaN) M.
MXC_QUANT_HD inline float QuantScale(float r, float m) { return m > 0 ? r / m : 0.0f; }

// clamp(rint(v), lo, hi) with NaN as 0.
MXC_QUANT_HD inline int QuantRound(float v, int lo, int hi) {
  if (!(v == v)) return 0;
  const float r = rintf(v);
  if (r <= static_cast<float>(lo)) return lo;
  if (r >= static_cast<float>(hi)) return hi;
  return static_cast<int>(r);
}

// One float quantized with scale s to [lo, hi].
MXC_QUANT_HD inline int QuantizeOne(float x, float s, int lo, int hi) { return QuantRound(x * s, lo, hi); }

// The real value of one int32 quantized with range M (int32's largest value is M): q * (M / 2^31 - 1).
MXC_QUANT_HD inline float Int32Real(int32_t q, float m) { return static_cast<float>(q) * (m / 2147483647.0f); }

// The output range of a quantization of range [lo, hi]: (-M, M) for int8, (lo, hi) for uint8.
MXC_QUANT_HD inline void QuantOutRange(bool int8, float lo, float hi, float *olo, float *ohi) {
  const float m = QuantMaxAbs(lo, hi);
  *olo = int8 ? -m : lo;
  *ohi = int8 ? m : hi;
}

// ---- quantized FullyConnected / Convolution: int8 (or uint8) data with range Md, int8 weight with range Mw, int8
// bias with range Mb; int32 products accumulated in int32.
// The real value of the output's int32 range: (2^31 - 1) Md Mw / (127 * 127) (int8 data) or / (255 * 127) (uint8).
MXC_QUANT_HD inline float QuantProductRange(bool data_int8, float md, float mw) {
  return static_cast<float>(2147483647.0 * static_cast<double>(md) * static_cast<double>(mw) /
                            (127.0 * (data_int8 ? 127.0 : 255.0)));
}
// The bias rescaled to the output's int32 units: trunc(b * f) with f = (R / Md) (127 / Mw) / (127 / Mb), R = 127.5
// (int8 data) or 255.5 (uint8), as MXNet 1.9.1 (pip) adds it; NaN as 0, saturated to int32's range.
MXC_QUANT_HD inline float QuantBiasFactor(bool data_int8, float md, float mw, float mb) {
  const float sdw = ((data_int8 ? 127.5f : 255.5f) / md) * (127.0f / mw);
  return sdw / (127.0f / mb);
}
MXC_QUANT_HD inline int32_t QuantBiasInt32(int8_t b, float f) {
  const float v = static_cast<float>(b) * f;
  if (!(v == v)) return 0;
  if (v >= 2147483520.0f) return 2147483647;
  if (v <= -2147483520.0f) return -2147483647 - 1;
  return static_cast<int32_t>(v);  // truncation
}

// ---- quantized_conv (2-D, NCHW): output element e of (N, F, oh, ow) as the int32 sum over its window of data
// (N, C, H, W; zero padding) times weight (F, C / G, kh, kw), plus the int8 bias as it is (MXNet 1.9.1's pip build
// adds it without rescaling).
struct QConvGeom {
  int64_t N, C, H, W, F, G, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};
template <typename D>
MXC_QUANT_HD inline int32_t QConvOutput(const QConvGeom &g, const D *x, const int8_t *w, const int8_t *bias,
                                        int64_t e) {
  const int64_t ox = e % g.ow, oy = (e / g.ow) % g.oh, f = (e / (g.ow * g.oh)) % g.F, n = e / (g.ow * g.oh * g.F);
  const int64_t cg = g.C / g.G, c0 = f / (g.F / g.G) * cg;
  int32_t acc = bias ? static_cast<int32_t>(bias[f]) : 0;
  for (int64_t c = 0; c < cg; ++c) {
    const D *xp = x + ((n * g.C + c0 + c) * g.H) * g.W;
    const int8_t *wp = w + (f * cg + c) * g.kh * g.kw;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t y = oy * g.sh - g.ph + i * g.dh;
      if (y < 0 || y >= g.H) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t xx = ox * g.sw - g.pw + j * g.dw;
        if (xx < 0 || xx >= g.W) continue;
        acc += static_cast<int32_t>(xp[y * g.W + xx]) * static_cast<int32_t>(wp[i * g.kw + j]);
      }
    }
  }
  return acc;
}

// ---- quantized_pooling (2-D, NCHW), with Pooling's windows: start o * stride - pad, end min(start + kernel,
// in + pad); avg divides the (exact) int sum by that window's size (or by the part inside the data without
// count_include_pad) in float32 and rounds half to even.
struct QPoolGeom {
  int64_t N, C, H, W, oh, ow, kh, kw, sh, sw, ph, pw;
  bool avg, count_include_pad;
};
template <typename D>
MXC_QUANT_HD inline D QPoolOutput(const QPoolGeom &g, const D *x, int64_t e) {
  const int64_t ox = e % g.ow, oy = (e / g.ow) % g.oh, plane = e / (g.ow * g.oh);
  const int64_t hs = oy * g.sh - g.ph, ws = ox * g.sw - g.pw;
  const int64_t he = hs + g.kh < g.H + g.ph ? hs + g.kh : g.H + g.ph;
  const int64_t we = ws + g.kw < g.W + g.pw ? ws + g.kw : g.W + g.pw;
  const int64_t h0 = hs > 0 ? hs : 0, w0 = ws > 0 ? ws : 0, h1 = he < g.H ? he : g.H, w1 = we < g.W ? we : g.W;
  const D *xp = x + plane * g.H * g.W;
  if (!g.avg) {
    int m = -2147483647;
    for (int64_t y = h0; y < h1; ++y)
      for (int64_t c = w0; c < w1; ++c) {
        const int v = static_cast<int>(xp[y * g.W + c]);
        m = v > m ? v : m;
      }
    return static_cast<D>(h1 > h0 && w1 > w0 ? m : 0);
  }
  int64_t sum = 0;
  for (int64_t y = h0; y < h1; ++y)
    for (int64_t c = w0; c < w1; ++c) sum += xp[y * g.W + c];
  const int64_t size = g.count_include_pad ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
  if (size <= 0) return 0;
  return static_cast<D>(rintf(static_cast<float>(sum) / static_cast<float>(size)));
}

// ---- quantized_concat: input i (range Mi, type range Ri: 127.5 int8, 255.5 uint8) rescaled to the output (range
// Mo of the smallest min and largest max, type range Ro): rint(q * (Mi / Ri) / (Mo / Ro)), saturated.
MXC_QUANT_HD inline float QuantConcatFactor(float mi, float ri, float mo, float ro) {
  return mo > 0 ? (mi / ri) / (mo / ro) : 0.0f;
}
// The output range [*lo, *hi] of n inputs whose ranges are r[2 i], r[2 i + 1].
MXC_QUANT_HD inline void QuantConcatRange(const float *r, int64_t n, float *lo, float *hi) {
  float a = n ? r[0] : 0.0f, b = n ? r[1] : 0.0f;
  for (int64_t i = 1; i < n; ++i) {
    a = r[2 * i] < a ? r[2 * i] : a;
    b = r[2 * i + 1] > b ? r[2 * i + 1] : b;
  }
  *lo = a, *hi = b;
}

}  // namespace op
}  // namespace mxc
