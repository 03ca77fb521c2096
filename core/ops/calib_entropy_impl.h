// The KL divergence of one threshold candidate of _contrib_calibrate_entropy, shared by the CPU kernel
// (core/ops/quantized_more.cc) and the GPU kernel (cuda/quant2.cu): a plain header nvcc compiles too.
//
// The arithmetic is MXNet 1.9.1's, as found by probing its operator with crafted histograms (not the exact KL
// divergence of its Python predecessor). Candidate i of a histogram of n bins (middle bin z = n / 2) is the window
// [s, e) = [z - i, z + i + 1] of len = 2i + 1 bins:
// - P = the window, with the bins left of it added to its first bin and those right of it to its last (float32 sums
//   in bin order);
// - the quantized side uses the window's bins truncated to integers, the window's FIRST bin counted as 0 (MXNet's
//   behaviour: with one histogram bin per quantized bin the first quantized bin is always empty);
// - Q = that integer window merged into nq groups of m = len / nq bins (the last group also takes the remainder);
//   a group's integer sum divided by its count of nonzero (integer) bins goes to each of its bins where P is not 0,
//   every other bin of Q is 0;
// - both smoothed in float32: v + 1e-4 where v is 0, v - float(1e-4 * zeros / nonzeros) elsewhere (undefined, i.e.
//   infinite, when a distribution has no nonzero bin or a smoothed bin is not positive);
// - both normalised by their float32 sums, and the divergence sum_k p_k * log(p_k / q_k) summed in float32 in bin
//   order (with the host's logf: MXNet's values bitwise on many random histograms).
// Candidates run from nq / 2 to the last window inside the histogram. MXNet 1.9.1 also tries i = n / 2 on an even
// histogram, a window one bin past its end whose threshold it reads past hist_edges (uninitialised memory): we don't.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define MXC_CALIB_HD __host__ __device__
#else
#define MXC_CALIB_HD
#endif

namespace mxc {
namespace op {

// The largest candidate of a histogram of n bins (windows must fit inside it); candidates run from nq / 2 to it.
MXC_CALIB_HD inline int64_t CalibLastCandidate(int64_t n) {
  const int64_t z = n / 2, r = n - 1 - z;
  return z < r ? z : r;
}

// A histogram count truncated to an integer (saturating, NaN as 0).
MXC_CALIB_HD inline int64_t CalibTrunc(float v) {
  if (!(v == v)) return 0;
  if (v >= 9.0e18f) return static_cast<int64_t>(9.0e18);
  if (v <= -9.0e18f) return -static_cast<int64_t>(9.0e18);
  return static_cast<int64_t>(v);
}

// One candidate's window: w its len bins, left/right the outlier sums added to its first/last bin of P.
struct CalibWindow {
  const float *w;
  int64_t len, m;
  int nq;
  float left, right;
  MXC_CALIB_HD float P(int64_t k) const { return k == 0 ? left : k == len - 1 ? right : w[k]; }
  MXC_CALIB_HD int64_t Int(int64_t k) const { return k == 0 ? 0 : CalibTrunc(w[k]); }
};

// Calls f(p_k, q_k) for every bin of the window, in order.
template <typename F>
MXC_CALIB_HD inline void CalibForEach(const CalibWindow &c, F f) {
  for (int j = 0; j < c.nq; ++j) {
    const int64_t a = j * c.m, b = j == c.nq - 1 ? c.len : a + c.m;
    int64_t total = 0, count = 0;
    for (int64_t k = a; k < b; ++k) {
      const int64_t v = c.Int(k);
      total += v;
      count += v != 0 ? 1 : 0;
    }
    const float avg = count == 0 ? 0.f : static_cast<float>(total) / static_cast<float>(count);
    for (int64_t k = a; k < b; ++k) {
      const float p = c.P(k);
      f(p, p == 0.f ? 0.f : avg);
    }
  }
}

// log of a float32 as MXNet takes it (the C library's logf on the host, which these divergences match bitwise). On a
// device, the double log rounded to float32 (nearly always the correctly rounded value, as the host's logf nearly
// always is; CUDA's logf may be 1 ulp off).
MXC_CALIB_HD inline float CalibLog(float x) {
#ifdef __CUDA_ARCH__
  return static_cast<float>(log(static_cast<double>(x)));
#else
  return logf(x);
#endif
}

MXC_CALIB_HD inline float CalibSmooth(float v, float eps1) { return v == 0.f ? v + 1e-4f : v - eps1; }

// The divergence of candidate i of hist (n bins) for nq quantized bins; HUGE_VAL when it is not defined.
MXC_CALIB_HD inline double CalibDivergence(const float *hist, int64_t n, int nq, int64_t i) {
  const int64_t z = n / 2, s = z - i, e = z + i + 1;
  CalibWindow c;
  c.w = hist + s;
  c.len = e - s;
  c.m = c.len / nq;
  c.nq = nq;
  c.left = 0.f, c.right = 0.f;
  for (int64_t k = 0; k <= s; ++k) c.left += hist[k];
  if (c.len == 1) {
    for (int64_t k = e; k < n; ++k) c.left += hist[k];
    c.right = c.left;
  } else {
    c.right = hist[e - 1];
    for (int64_t k = e; k < n; ++k) c.right += hist[k];
  }
  int64_t pz = 0, qz = 0;
  CalibForEach(c, [&](float p, float q) {
    pz += p == 0.f ? 1 : 0;
    qz += q == 0.f ? 1 : 0;
  });
  if (pz == c.len || qz == c.len) return HUGE_VAL;
  const float pe = static_cast<float>(1e-4 * static_cast<double>(pz) / static_cast<double>(c.len - pz));
  const float qe = static_cast<float>(1e-4 * static_cast<double>(qz) / static_cast<double>(c.len - qz));
  float sp = 0.f, sq = 0.f;
  bool bad = false;
  CalibForEach(c, [&](float p, float q) {
    const float a = CalibSmooth(p, pe), b = CalibSmooth(q, qe);
    bad = bad || !(a > 0.f) || !(b > 0.f);
    sp += a;
    sq += b;
  });
  if (bad) return HUGE_VAL;
  float div = 0.f;
  CalibForEach(c, [&](float p, float q) {
    const float a = CalibSmooth(p, pe) / sp, b = CalibSmooth(q, qe) / sq;
    div += a * CalibLog(a / b);
  });
  return static_cast<double>(div);
}

// The divergence output of the chosen candidate: MXNet 1.9.1 prints FLT_MAX (3.4028235e38) where none is defined.
MXC_CALIB_HD inline float CalibReported(double div) {
  return div > 3.4028234663852886e38 ? 3.4028234663852886e38f : static_cast<float>(div);
}

}  // namespace op
}  // namespace mxc
