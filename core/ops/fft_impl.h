// contrib fft / ifft arithmetic, shared by the CPU kernel (core/ops/fft.cc) and the GPU kernels (cuda/misc4.cu): a
// plain header nvcc compiles too (the pattern of correlation_impl.h). A transform of `rows` rows of n complex points
// runs in a work buffer of rows * 2 n doubles (interleaved real, imaginary):
//   load (one call per work element), then for a power-of-two n the radix-2 butterflies stage by stage (one call per
//   butterfly, independent within a stage), else a direct DFT per output point into a second buffer; then store.
// Both devices make the same calls in double, so they give the same values. Unnormalised in both directions.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define MXC_FFT_HD __host__ __device__
#else
#define MXC_FFT_HD
#endif

namespace mxc {
namespace op {

constexpr double kFftTwoPi = 6.283185307179586476925286766559;

MXC_FFT_HD inline bool FftIsPow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }
MXC_FFT_HD inline int FftLog2(int64_t n) {
  int l = 0;
  while ((int64_t{1} << l) < n) ++l;
  return l;
}
// k with its low `bits` bits reversed.
MXC_FFT_HD inline int64_t FftBitRev(int64_t k, int bits) {
  int64_t r = 0;
  for (int b = 0; b < bits; ++b, k >>= 1) r = (r << 1) | (k & 1);
  return r;
}

// Work element e (of rows * n points): point k of row r read from the input (row r of n real values, or of n
// interleaved complex values when complex_in), at bit-reversed position for a power-of-two n (the butterflies' order).
template <typename T>
MXC_FFT_HD inline void FftLoad(const T *x, double *buf, int64_t e, int64_t n, bool complex_in) {
  const int64_t r = e / n, k = e % n;
  const int64_t src = FftIsPow2(n) ? FftBitRev(k, FftLog2(n)) : k;
  double re, im = 0;
  if (complex_in) {
    re = static_cast<double>(x[(r * n + src) * 2]);
    im = static_cast<double>(x[(r * n + src) * 2 + 1]);
  } else {
    re = static_cast<double>(x[r * n + src]);
  }
  buf[e * 2] = re;
  buf[e * 2 + 1] = im;
}

// Butterfly b (of rows * n / 2) of the stage joining blocks of `half` points into blocks of 2 half; sign -1: forward
// (e^{-i...}), +1: inverse.
MXC_FFT_HD inline void FftButterfly(double *buf, int64_t b, int64_t n, int64_t half, int sign) {
  const int64_t per_row = n / 2, r = b / per_row, j = b % per_row;
  const int64_t pos = j % half, i0 = r * n + (j / half) * 2 * half + pos, i1 = i0 + half;
  const double a = sign * kFftTwoPi * static_cast<double>(pos) / static_cast<double>(2 * half);
  const double wr = cos(a), wi = sin(a);
  const double xr = buf[i1 * 2], xi = buf[i1 * 2 + 1];
  const double tr = wr * xr - wi * xi, ti = wr * xi + wi * xr;
  const double ur = buf[i0 * 2], ui = buf[i0 * 2 + 1];
  buf[i0 * 2] = ur + tr;
  buf[i0 * 2 + 1] = ui + ti;
  buf[i1 * 2] = ur - tr;
  buf[i1 * 2 + 1] = ui - ti;
}

// Output point e (of rows * n) of the direct DFT of src (natural order) into dst; the angle of j k reduced mod n.
MXC_FFT_HD inline void FftDft(const double *src, double *dst, int64_t e, int64_t n, int sign) {
  const int64_t r = e / n, k = e % n;
  const double *row = src + r * n * 2;
  double accr = 0, acci = 0;
  int64_t jk = 0;  // j k mod n
  for (int64_t j = 0; j < n; ++j) {
    const double a = sign * kFftTwoPi * static_cast<double>(jk) / static_cast<double>(n);
    const double wr = cos(a), wi = sin(a), xr = row[j * 2], xi = row[j * 2 + 1];
    accr += wr * xr - wi * xi;
    acci += wr * xi + wi * xr;
    jk += k;
    if (jk >= n) jk -= n;
  }
  dst[e * 2] = accr;
  dst[e * 2 + 1] = acci;
}

}  // namespace op
}  // namespace mxc
