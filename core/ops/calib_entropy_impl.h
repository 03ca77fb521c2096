// The KL divergence of one threshold candidate of _contrib_calibrate_entropy, shared by the CPU kernel
// (core/ops/quantized_more.cc) and the GPU kernel (cuda/quant2.cu): a plain header nvcc compiles too.
//
// Candidate i of a histogram of n bins (middle bin z = n / 2) is the window [z - i, z + i] of 2i + 1 bins:
// - P = the window with the bins left of it added to its first bin and those right of it to its last;
// - Q = the window merged into nq groups of m = (2i + 1) / nq bins (the last group also takes the remainder), each
//   group's sum spread evenly over its nonzero bins, and 0 wherever P is 0;
// - both smoothed: float32(v) + float32(1e-4) where v is 0, float32(v) - float32(1e-4 * zeros / nonzeros) elsewhere
//   (infinite divergence when a distribution has no nonzero bin or a smoothed bin is not positive);
// - the divergence sum_k p_k log(p_k / q_k) of the normalised distributions, in double.
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

// Bin k of P and of Q (before smoothing) of the candidate described by its window w (length len), the outliers
// left/right, and the group g = [ga, gb) holding k with its sum and count of nonzero bins.
struct CalibWindow {
  const float *w;
  int64_t len, m;
  int nq;
  double left, right;
  MXC_CALIB_HD double P(int64_t k) const {
    double v = w[k];
    if (k == 0) v += left;
    if (k == len - 1) v += right;
    return v;
  }
};

// Calls f(p_k, q_k) for every bin of the window, in order.
template <typename F>
MXC_CALIB_HD inline void CalibForEach(const CalibWindow &c, F f) {
  for (int j = 0; j < c.nq; ++j) {
    const int64_t a = j * c.m, b = j == c.nq - 1 ? c.len : a + c.m;
    double total = 0;
    int64_t count = 0;
    for (int64_t k = a; k < b; ++k) {
      total += c.w[k];
      count += c.w[k] != 0 ? 1 : 0;
    }
    for (int64_t k = a; k < b; ++k) {
      const double p = c.P(k);
      const double q = (p == 0 || count == 0) ? 0.0 : total / static_cast<double>(count);
      f(p, q);
    }
  }
}

MXC_CALIB_HD inline double CalibSmooth(double v, float eps1) {
  return static_cast<double>(static_cast<float>(v) + (v == 0 ? 1e-4f : -eps1));
}

// The divergence of candidate i of hist (n bins) for nq quantized bins; HUGE_VAL when it is not defined.
MXC_CALIB_HD inline double CalibDivergence(const float *hist, int64_t n, int nq, int64_t i) {
  const int64_t z = n / 2, s = z - i, e = z + i + 1;
  CalibWindow c;
  c.w = hist + s;
  c.len = e - s;
  c.m = c.len / nq;
  c.nq = nq;
  c.left = 0, c.right = 0;
  for (int64_t k = 0; k < s; ++k) c.left += hist[k];
  for (int64_t k = e; k < n; ++k) c.right += hist[k];
  int64_t pz = 0, qz = 0;
  CalibForEach(c, [&](double p, double q) {
    pz += p == 0 ? 1 : 0;
    qz += q == 0 ? 1 : 0;
  });
  if (pz == c.len || qz == c.len) return HUGE_VAL;
  const double pe = 1e-4 * static_cast<double>(pz) / static_cast<double>(c.len - pz);
  const double qe = 1e-4 * static_cast<double>(qz) / static_cast<double>(c.len - qz);
  if (pe >= 1.0 || qe >= 1.0) return HUGE_VAL;
  const float pe1 = static_cast<float>(pe), qe1 = static_cast<float>(qe);
  double sp = 0, sq = 0;
  bool bad = false;
  CalibForEach(c, [&](double p, double q) {
    const double a = CalibSmooth(p, pe1), b = CalibSmooth(q, qe1);
    bad = bad || !(a > 0) || !(b > 0);
    sp += a;
    sq += b;
  });
  if (bad) return HUGE_VAL;
  double div = 0;
  CalibForEach(c, [&](double p, double q) {
    const double a = CalibSmooth(p, pe1) / sp, b = CalibSmooth(q, qe1) / sq;
    div += a * log(a / b);
  });
  return div;
}

}  // namespace op
}  // namespace mxc
