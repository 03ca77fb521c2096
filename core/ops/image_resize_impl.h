// _image_resize's sampling (core/ops/image_resize.cc), shared by the CPU kernel and the GPU kernel
// (cuda/image_resize.cu): a plain header nvcc compiles too.
//
// OpenCV's resize is separable: each output row y reads ky input rows iy[y*ky + a] with weights wy[y*ky + a], each
// output column x reads kx input columns the same way, and a pixel is sum_a wy[a] * sum_b wx[b] * in[iy[a], ix[b]]
// (in double). Integer images are rounded to nearest and saturated; float images converted. The tables are built on
// the host by ImgResizeTaps (interp 0 nearest, 1 and 5 bilinear, 2 bicubic, 3 area, 4 Lanczos; OpenCV's codes).
#pragma once

#include <math.h>

#include <cstdint>

#ifndef __CUDACC__
#include <algorithm>
#include <vector>
#endif

#ifdef __CUDACC__
#define MXC_RSZ_HD __host__ __device__
#else
#define MXC_RSZ_HD
#endif

namespace mxc {
namespace op {

template <typename T> struct ImgRszLim { static constexpr bool kInt = false; };
template <> struct ImgRszLim<uint8_t> { static constexpr bool kInt = true; static constexpr double lo = 0, hi = 255; };
template <> struct ImgRszLim<int8_t> {
  static constexpr bool kInt = true;
  static constexpr double lo = -128, hi = 127;
};
template <> struct ImgRszLim<int32_t> {
  static constexpr bool kInt = true;
  static constexpr double lo = -2147483648.0, hi = 2147483647.0;
};
template <> struct ImgRszLim<int64_t> {
  static constexpr bool kInt = true;
  static constexpr double lo = -9223372036854775808.0, hi = 9223372036854775807.0;
};

// A resampled value stored in T: integers rounded half to even (as OpenCV's saturate_cast) and saturated (NaN: 0).
template <typename T>
MXC_RSZ_HD inline T ImgResizeStore(double v) {
  if constexpr (ImgRszLim<T>::kInt) {
    if (!(v == v)) return T(0);
    const double r = rint(v);
    if (r <= ImgRszLim<T>::lo) return static_cast<T>(ImgRszLim<T>::lo);
    if (r >= ImgRszLim<T>::hi) {
      if constexpr (sizeof(T) == 8)
        return static_cast<T>(9223372036854775807LL);
      else
        return static_cast<T>(ImgRszLim<T>::hi);
    }
    return static_cast<T>(r);
  } else {
    return static_cast<T>(v);
  }
}

// One output value (channel c of output pixel (y, x)) of one image img (H, W, C).
template <typename T>
MXC_RSZ_HD inline T ImgResizePixel(const T *img, int64_t W, int64_t C, int ky, const int32_t *iy, const double *wy,
                                   int kx, const int32_t *ix, const double *wx, int64_t c) {
  double s = 0;
  for (int a = 0; a < ky; ++a) {
    if (wy[a] == 0) continue;
    const T *row = img + static_cast<int64_t>(iy[a]) * W * C + c;
    double r = 0;
    for (int b = 0; b < kx; ++b) r += wx[b] * static_cast<double>(row[static_cast<int64_t>(ix[b]) * C]);
    s += wy[a] * r;
  }
  return ImgResizeStore<T>(s);
}

#ifndef __CUDACC__
namespace rsz {

inline double Cubic(double t) {
  const double a = -0.75;
  t = fabs(t);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

inline double Sinc(double t) {
  if (t == 0) return 1;
  const double pt = 3.14159265358979323846 * t;
  return sin(pt) / pt;
}

inline double Lanczos4(double t) { return fabs(t) < 4 ? Sinc(t) * Sinc(t / 4) : 0.0; }

}  // namespace rsz

// The rows of one axis' resampling from n_in to n_out pixels: *k taps per output pixel, indices in idx and weights
// in wt (n_out * k each, unused taps weight 0 at index 0). shrink_both: both axes shrink (area's averaging mode).
inline void ImgResizeTaps(int64_t n_in, int64_t n_out, int interp, bool shrink_both, int *k,
                          std::vector<int32_t> *idx, std::vector<double> *wt) {
  std::vector<std::vector<std::pair<int64_t, double>>> rows(n_out);
  const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);
  auto add = [&](int64_t d, int64_t s, double w) {
    s = std::min(std::max<int64_t>(s, 0), n_in - 1);
    for (auto &e : rows[d])
      if (e.first == s) {
        e.second += w;
        return;
      }
    rows[d].push_back({s, w});
  };
  for (int64_t d = 0; d < n_out; ++d) {
    if (interp == 0) {  // nearest: floor(d * scale)
      add(d, std::min<int64_t>(static_cast<int64_t>(floor(static_cast<double>(d) * scale)), n_in - 1), 1.0);
    } else if (interp == 3 && shrink_both) {  // area: the mean over [d * scale, (d + 1) * scale)
      const double lo = static_cast<double>(d) * scale, hi = std::min((d + 1) * scale, static_cast<double>(n_in));
      const bool whole = scale == floor(scale);
      double total = 0;
      for (int64_t s = static_cast<int64_t>(floor(lo)); s < static_cast<int64_t>(ceil(hi)); ++s) {
        const double overlap = std::min(hi, static_cast<double>(s + 1)) - std::max(lo, static_cast<double>(s));
        if (overlap > 1e-3 || whole) {
          add(d, s, overlap);
          total += overlap;
        }
      }
      for (auto &e : rows[d]) e.second /= total;
    } else if (interp == 3) {  // area growing: replicated pixels, a linear blend across each boundary
      int64_t s = static_cast<int64_t>(floor(static_cast<double>(d) * scale));
      double f = static_cast<double>(d + 1) - static_cast<double>(s + 1) * (static_cast<double>(n_out) / n_in);
      f = f <= 0 ? 0.0 : f - floor(f);
      if (s >= n_in - 1) s = n_in - 1, f = 0.0;
      add(d, s, 1 - f);
      if (f != 0) add(d, s + 1, f);
    } else {  // centre-aligned kernels: bilinear, bicubic, Lanczos
      const int radius = interp == 2 ? 2 : interp == 4 ? 4 : 1;
      const double src = (static_cast<double>(d) + 0.5) * scale - 0.5;
      int64_t base = static_cast<int64_t>(floor(src));
      double frac = src - static_cast<double>(base);
      if (radius == 1) {  // no extrapolation beyond the first and last pixel
        if (base < 0) base = 0, frac = 0.0;
        if (base >= n_in - 1) base = n_in - 1, frac = 0.0;
      }
      double w[8], sum = 0;
      for (int j = 0; j < 2 * radius; ++j) {
        const double t = static_cast<double>(j - radius + 1) - frac;
        w[j] = radius == 1 ? std::max(0.0, 1 - fabs(t)) : radius == 2 ? rsz::Cubic(t) : rsz::Lanczos4(t);
        sum += w[j];
      }
      for (int j = 0; j < 2 * radius; ++j)
        if (w[j] != 0) add(d, base - radius + 1 + j, radius > 2 ? w[j] / sum : w[j]);
    }
  }
  size_t most = 1;
  for (const auto &r : rows) most = std::max(most, r.size());
  *k = static_cast<int>(most);
  idx->assign(n_out * most, 0);
  wt->assign(n_out * most, 0.0);
  for (int64_t d = 0; d < n_out; ++d)
    for (size_t j = 0; j < rows[d].size(); ++j) {
      (*idx)[d * most + j] = static_cast<int32_t>(rows[d][j].first);
      (*wt)[d * most + j] = rows[d][j].second;
    }
}
#endif  // __CUDACC__

}  // namespace op
}  // namespace mxc
