// Correlation's arithmetic per output element and per input-gradient element, shared by the CPU kernel
// (core/ops/correlation.cc) and the GPU kernels (cuda/ops3.cu): a plain header nvcc compiles too (the pattern of
// deform_sample.h). Both devices gather one element at a time in the same order, in double.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define MXC_CORR_HD __host__ __device__
#else
#define MXC_CORR_HD
#endif

namespace mxc {
namespace op {

// data (N, C, H, W) zero-padded by pad; kernel k, max displacement md, strides s1 (data1) and s2 (displacements);
// output (N, D * D, th, tw) with D = 2 r + 1, r = md / s2; mult: products, else absolute differences.
struct CorrGeom {
  int64_t N, C, H, W, k, md, s1, s2, pad, th, tw, r, D;
  bool mult;
};

// The value at padded position (y, x) of plane pl (zero in the padding).
template <typename T>
MXC_CORR_HD inline double CorrAt(const T *pl, const CorrGeom &g, int64_t y, int64_t x) {
  y -= g.pad, x -= g.pad;
  return (y < 0 || y >= g.H || x < 0 || x >= g.W) ? 0.0 : static_cast<double>(pl[y * g.W + x]);
}

// Output element e (in (n, q, y, x) order): the patch comparison summed over channels and the patch, divided by
// k * k * C.
template <typename T>
MXC_CORR_HD inline double CorrOutput(const CorrGeom &g, const T *a, const T *b, int64_t e) {
  const int64_t x = e % g.tw, yy = (e / g.tw) % g.th, q = (e / (g.tw * g.th)) % (g.D * g.D),
                n = e / (g.tw * g.th * g.D * g.D);
  const int64_t dx = (q % g.D - g.r) * g.s2, dy = (q / g.D - g.r) * g.s2;
  const int64_t x1 = x * g.s1 + g.md, y1 = yy * g.s1 + g.md;
  double acc = 0;
  for (int64_t c = 0; c < g.C; ++c) {
    const T *pa = a + (n * g.C + c) * g.H * g.W, *pb = b + (n * g.C + c) * g.H * g.W;
    for (int64_t j = 0; j < g.k; ++j)
      for (int64_t i = 0; i < g.k; ++i) {
        const double va = CorrAt(pa, g, y1 + j, x1 + i), vb = CorrAt(pb, g, y1 + dy + j, x1 + dx + i);
        const double d = va - vb;
        acc += g.mult ? va * vb : (d < 0 ? -d : d);
      }
  }
  return acc * (1.0 / static_cast<double>(g.k * g.k * g.C));
}

// The gradient of data1 (second = false) or data2 (second = true) at input element e (in (n, c, h, w) order),
// gathered from the outputs og whose patch covers it; sign(a - b) is +1 when a == b (as MXNet).
template <typename T>
MXC_CORR_HD inline double CorrInputGrad(const CorrGeom &g, bool second, const T *og, const T *a, const T *b,
                                        int64_t e) {
  const int64_t w = e % g.W, h = (e / g.W) % g.H, c = (e / (g.W * g.H)) % g.C, n = e / (g.W * g.H * g.C);
  const T *pa = a + (n * g.C + c) * g.H * g.W, *pb = b + (n * g.C + c) * g.H * g.W;
  const double self = static_cast<double>((second ? pb : pa)[h * g.W + w]);
  const int64_t hp = h + g.pad, wp = w + g.pad;
  double acc = 0;
  for (int64_t q = 0; q < g.D * g.D; ++q) {
    const int64_t dx = (q % g.D - g.r) * g.s2, dy = (q / g.D - g.r) * g.s2;
    // data1's patch corner (y1, x1); this element is at (y1 + j, x1 + i) in data1 or (y1 + dy + j, ...) in data2
    const int64_t oy = second ? dy : 0, ox = second ? dx : 0;
    const T *gq = og + (n * g.D * g.D + q) * g.th * g.tw;
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t ty = hp - oy - j - g.md;
      if (ty < 0 || ty % g.s1) continue;
      const int64_t yy = ty / g.s1;
      if (yy >= g.th) continue;
      for (int64_t i = 0; i < g.k; ++i) {
        const int64_t tx = wp - ox - i - g.md;
        if (tx < 0 || tx % g.s1) continue;
        const int64_t x = tx / g.s1;
        if (x >= g.tw) continue;
        const int64_t y1 = yy * g.s1 + g.md, x1 = x * g.s1 + g.md;
        const double other = second ? CorrAt(pa, g, y1 + j, x1 + i) : CorrAt(pb, g, y1 + dy + j, x1 + dx + i);
        const double go = static_cast<double>(gq[yy * g.tw + x]);
        if (g.mult) {
          acc += go * other;
        } else {
          const double diff = second ? other - self : self - other;
          const double s = diff >= 0 ? 1.0 : -1.0;
          acc += second ? -go * s : go * s;
        }
      }
    }
  }
  return acc * (1.0 / static_cast<double>(g.k * g.k * g.C));
}

}  // namespace op
}  // namespace mxc
