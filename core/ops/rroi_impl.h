// RROIAlign's arithmetic per output element (contrib RROIAlign, rotated ROI align), shared by the CPU kernel
// (core/ops/contrib_more3.cc) and the GPU kernel (cuda/ops3.cu): a plain header nvcc compiles too (the pattern of
// deform_sample.h).
#pragma once

#include <math.h>

#include <cstdint>

#ifdef __CUDACC__
#define MXC_RROI_HD __host__ __device__
#else
#define MXC_RROI_HD
#endif

namespace mxc {
namespace op {

// data (N, C, H, W); rois (R, 6) = [batch, cx, cy, w, h, degrees]; output (R, C, PH, PW); sampling ratio (<= 0:
// adaptive, at most max_grid per axis); spatial scale as a float (as MXNet keeps it).
struct RROIGeom {
  int64_t N, C, H, W, R, PH, PW, ratio, max_grid;
  double scale;
};

// Bilinear interpolation of an H x W plane at (y, x); zero outside [-1, H] x [-1, W].
template <typename T>
MXC_RROI_HD inline double RROIBilinear(const T *img, int64_t H, int64_t W, double y, double x) {
  if (!(y >= -1.0 && y <= static_cast<double>(H) && x >= -1.0 && x <= static_cast<double>(W))) return 0.0;
  y = y > 0.0 ? y : 0.0;
  x = x > 0.0 ? x : 0.0;
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1, x1;
  if (y0 >= H - 1) y0 = y1 = H - 1, y = static_cast<double>(y0);
  else y1 = y0 + 1;
  if (x0 >= W - 1) x0 = x1 = W - 1, x = static_cast<double>(x0);
  else x1 = x0 + 1;
  const double ly = y - y0, lx = x - x0, hy = 1 - ly, hx = 1 - lx;
  return hy * hx * static_cast<double>(img[y0 * W + x0]) + hy * lx * static_cast<double>(img[y0 * W + x1]) +
         ly * hx * static_cast<double>(img[y1 * W + x0]) + ly * lx * static_cast<double>(img[y1 * W + x1]);
}

// Samples per axis of a bin: the ratio when positive, else ceil(len / pooled), within [1, max_grid].
MXC_RROI_HD inline int64_t RROIGrid(int64_t ratio, double len, int64_t pooled, int64_t max_grid) {
  if (ratio > 0) return ratio < max_grid ? ratio : max_grid;
  const double g = ::ceil(len / static_cast<double>(pooled));
  return g >= 1 && g <= static_cast<double>(max_grid) ? static_cast<int64_t>(g) : (g > 1 ? max_grid : 1);
}

// Output element e (in (r, c, ph, pw) order): the average of the bin's samples in the rotated roi; zero for a roi
// whose batch index is out of range.
template <typename T>
MXC_RROI_HD inline double RROIOutput(const RROIGeom &g, const T *x, const T *rois, int64_t e) {
  const double kPi = 3.14159265358979323846;
  const int64_t pw = e % g.PW, ph = (e / g.PW) % g.PH, c = (e / (g.PW * g.PH)) % g.C, r = e / (g.PW * g.PH * g.C);
  const T *roi = rois + r * 6;
  const double bd = static_cast<double>(roi[0]);
  if (!(bd >= 0 && bd < static_cast<double>(g.N))) return 0.0;
  const int64_t b = static_cast<int64_t>(bd);
  const double cw = roi[1] * g.scale, ch = roi[2] * g.scale;
  double rw = roi[3] * g.scale, rh = roi[4] * g.scale;
  rw = rw < 1.0 ? 1.0 : rw;  // at least 1 (NaN stays NaN)
  rh = rh < 1.0 ? 1.0 : rh;
  const double th = static_cast<double>(roi[5]) * kPi / 180.0, cs = ::cos(th), sn = ::sin(th);
  const double bh = rh / g.PH, bw = rw / g.PW;
  const int64_t gh = RROIGrid(g.ratio, rh, g.PH, g.max_grid), gw = RROIGrid(g.ratio, rw, g.PW, g.max_grid);
  const T *img = x + (b * g.C + c) * g.H * g.W;
  double v = 0;
  for (int64_t iy = 0; iy < gh; ++iy) {
    const double yy = -rh / 2 + ph * bh + (iy + 0.5) * bh / gh;
    for (int64_t ix = 0; ix < gw; ++ix) {
      const double xx = -rw / 2 + pw * bw + (ix + 0.5) * bw / gw;
      v += RROIBilinear(img, g.H, g.W, -xx * sn + yy * cs + ch, xx * cs + yy * sn + cw);
    }
  }
  return v / static_cast<double>(gh * gw);
}

}  // namespace op
}  // namespace mxc
