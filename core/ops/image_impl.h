// The image operators' per-pixel arithmetic (core/ops/image_ops.cc), shared by the CPU kernels and the GPU kernels
// (cuda/image.cu): a plain header nvcc compiles too (the pattern of rroi_impl.h).
#pragma once

#include <math.h>

#include <cstdint>

#ifdef __CUDACC__
#define MXC_IMG_HD __host__ __device__
#else
#define MXC_IMG_HD
#endif

namespace mxc {
namespace op {

// ITU-R 601 luma weights (the contrast's grey value) and ImageNet's RGB principal components (the lighting noise).
constexpr float kImgLumaR = 0.299f, kImgLumaG = 0.587f, kImgLumaB = 0.114f;

// The limits of the integer dtypes the image operators store into (float types: none).
template <typename T> struct ImgLimits { static constexpr bool kInt = false; };
template <> struct ImgLimits<uint8_t> { static constexpr bool kInt = true; static constexpr double lo = 0, hi = 255; };
template <> struct ImgLimits<int8_t> { static constexpr bool kInt = true; static constexpr double lo = -128, hi = 127; };
template <> struct ImgLimits<int32_t> {
  static constexpr bool kInt = true;
  static constexpr double lo = -2147483648.0, hi = 2147483647.0;
};
template <> struct ImgLimits<int64_t> {
  static constexpr bool kInt = true;
  static constexpr double lo = -9223372036854775808.0, hi = 9223372036854775807.0;
};

// A float32 result stored in T: integers truncated towards zero and saturated (NaN: 0), floats converted.
template <typename T>
MXC_IMG_HD inline T ImgStore(float v) {
  if constexpr (ImgLimits<T>::kInt) {
    if (!(v == v)) return T(0);
    const double t = trunc(static_cast<double>(v));
    if (t <= ImgLimits<T>::lo) return static_cast<T>(ImgLimits<T>::lo);
    if (t >= ImgLimits<T>::hi) {
      if constexpr (sizeof(T) == 8)
        return static_cast<T>(9223372036854775807LL);
      else
        return static_cast<T>(ImgLimits<T>::hi);
    }
    return static_cast<T>(t);
  } else {
    return static_cast<T>(v);
  }
}

// Rotates the hue of one RGB pixel q[0..2] by a * 360 degrees, keeping its largest and smallest channel (grey or NaN
// pixels are left alone).
MXC_IMG_HD inline void ImgHuePixel(float *q, float a) {
  const float r = q[0], g = q[1], b = q[2];
  const float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b));
  const float d = mx - mn;
  if (!(d > 0)) return;
  float h;  // degrees
  if (mx == r)
    h = 60.0f * (g - b) / d;
  else if (mx == g)
    h = 60.0f * (b - r) / d + 120.0f;
  else
    h = 60.0f * (r - g) / d + 240.0f;
  h += a * 360.0f;
  h = fmodf(h, 360.0f);
  if (h < 0) h += 360.0f;
  if (!(h < 360.0f)) h = 0.0f;
  const float hs = h / 60.0f;
  int sector = static_cast<int>(hs);
  if (sector > 5) sector = 5;
  const float f = hs - static_cast<float>(sector);
  const float up = mn + d * f, down = mx - d * f;
  switch (sector) {
    case 0: q[0] = mx, q[1] = up, q[2] = mn; break;
    case 1: q[0] = down, q[1] = mx, q[2] = mn; break;
    case 2: q[0] = mn, q[1] = mx, q[2] = up; break;
    case 3: q[0] = mn, q[1] = down, q[2] = mx; break;
    case 4: q[0] = up, q[1] = mn, q[2] = mx; break;
    default: q[0] = mx, q[1] = mn, q[2] = down; break;
  }
}

// The grey value of one pixel for the contrast's mean (1 channel: the value).
MXC_IMG_HD inline float ImgGrey(const float *q, int channels) {
  return channels == 1 ? q[0] : kImgLumaR * q[0] + kImgLumaG * q[1] + kImgLumaB * q[2];
}

// The saturation's blend of one RGB pixel with MXNet 1.9.1's grey value (0.114 * blue).
MXC_IMG_HD inline void ImgSaturatePixel(float *q, float a) {
  const float grey = kImgLumaB * q[2];
  for (int k = 0; k < 3; ++k) q[k] = q[k] * a + (1.0f - a) * grey;
}

// The contrast's blend of a value with the image's mean grey value.
MXC_IMG_HD inline float ImgContrast(float v, float a, float grey) { return v * a + (1.0f - a) * grey; }

// The lighting's RGB offset: eigvec . (alpha * eigval), in float32 products summed in double.
inline void ImgLightingOffset(const double alpha[3], float add[3]) {
  const float eigval[3] = {55.46f, 4.794f, 1.148f};
  const float eigvec[3][3] = {{-0.5675f, 0.7192f, 0.4009f}, {-0.5808f, -0.0045f, -0.8140f},
                              {-0.5836f, -0.6948f, 0.4203f}};
  for (int k = 0; k < 3; ++k) {
    double s = 0;
    for (int j = 0; j < 3; ++j) s += eigvec[k][j] * (static_cast<float>(alpha[j]) * eigval[j]);
    add[k] = static_cast<float>(s);
  }
}

}  // namespace op
}  // namespace mxc
