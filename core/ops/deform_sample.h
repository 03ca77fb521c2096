// Bilinear sampling of the deformable convolutions (DCN v1 and v2), shared by the CPU kernels
// (core/ops/contrib_deformable.cc) and the GPU kernels (cuda/deform.cu): a plain header nvcc compiles too.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define MXC_DEFORM_HD __host__ __device__
#else
#define MXC_DEFORM_HD
#endif

namespace mxc {
namespace op {

// Bilinear sampling at (h, w) of an H x W plane: up to four neighbours idx (-1: none) with their weights wt and the
// derivatives of the weights with respect to h (dh) and w (dw).
template <typename T>
struct DeformSample {
  int64_t idx[4] = {-1, -1, -1, -1};
  T wt[4] = {0, 0, 0, 0}, dh[4] = {0, 0, 0, 0}, dw[4] = {0, 0, 0, 0};

  // The largest integer not above v (floor, for the positions a sample reads: well inside int64's range).
  MXC_DEFORM_HD static int64_t Floor(T v) {
    const int64_t i = static_cast<int64_t>(v);
    return T(i) > v ? i - 1 : i;
  }

  // DCN v1 (clamped at the last row/column), or v2 (zero outside) when zero_pad.
  MXC_DEFORM_HD DeformSample(T h, T w, int64_t H, int64_t W, bool zero_pad) {
    if (zero_pad) {
      if (!(h > T(-1) && w > T(-1) && h < T(H) && w < T(W))) return;
    } else if (!(h >= T(0) && w >= T(0) && h < T(H) && w < T(W))) {
      return;
    }
    int64_t hl = Floor(h), wl = Floor(w);
    int64_t hh = hl + 1, wh = wl + 1;
    T lh = h - T(hl), lw = w - T(wl), sh = 1, sw = 1;  // s*: 0 where the position is clamped (no gradient)
    if (!zero_pad) {
      if (hl >= H - 1) hl = hh = H - 1, lh = 0, sh = 0;
      if (wl >= W - 1) wl = wh = W - 1, lw = 0, sw = 0;
    }
    const int64_t hs[4] = {hl, hl, hh, hh}, ws[4] = {wl, wh, wl, wh};
    const T a[4] = {(1 - lh) * (1 - lw), (1 - lh) * lw, lh * (1 - lw), lh * lw};
    const T ah[4] = {-(1 - lw), -lw, 1 - lw, lw}, aw[4] = {-(1 - lh), 1 - lh, -lh, lh};
    for (int k = 0; k < 4; ++k) {
      if (hs[k] < 0 || hs[k] >= H || ws[k] < 0 || ws[k] >= W) continue;
      idx[k] = hs[k] * W + ws[k];
      wt[k] = a[k];
      dh[k] = sh * ah[k];
      dw[k] = sw * aw[k];
    }
  }
  // Whether the position reads nothing (outside the plane).
  MXC_DEFORM_HD bool Empty() const { return idx[0] < 0 && idx[1] < 0 && idx[2] < 0 && idx[3] < 0; }
  MXC_DEFORM_HD T Value(const T *x) const {
    T v = 0;
    for (int k = 0; k < 4; ++k)
      if (idx[k] >= 0) v += wt[k] * x[idx[k]];
    return v;
  }
  // The derivatives of Value(x) with respect to h and w.
  MXC_DEFORM_HD void Grad(const T *x, T *gh, T *gw) const {
    T a = 0, b = 0;
    for (int k = 0; k < 4; ++k)
      if (idx[k] >= 0) a += dh[k] * x[idx[k]], b += dw[k] * x[idx[k]];
    *gh = a, *gw = b;
  }
};

}  // namespace op
}  // namespace mxc
