// The Hawkes process log-likelihood of one sample (contrib hawkesll), shared by the CPU kernel
// (core/ops/contrib_more3.cc) and the GPU kernels (cuda/ops3.cu): a plain header nvcc compiles too (the pattern of
// deform_sample.h).
#pragma once

#include <math.h>

#include <cstdint>

#ifdef __CUDACC__
#define MXC_HAWKES_HD __host__ __device__
#else
#define MXC_HAWKES_HD
#endif

namespace mxc {
namespace op {

// One sample: the log likelihood and the final memory (into s[0..K)); with g (3 K doubles), also the gradients
// of the log likelihood with respect to lda, alpha and beta. s, ds, last, mass: K doubles of scratch each.
template <typename T>
MXC_HAWKES_HD inline double HawkesSample(int64_t n, int64_t K, int64_t TT, const T *lda, const T *alpha,
                                        const T *beta, const T *state, const T *lags, const int32_t *marks,
                                        int64_t len, double tmax, double *s, double *ds, double *last, double *mass,
                                        double *g) {
  for (int64_t k = 0; k < K; ++k) {
    s[k] = static_cast<double>(state[n * K + k]);
    mass[k] = s[k];
    ds[k] = last[k] = 0;
    if (g) g[k] = g[K + k] = g[2 * K + k] = 0;
  }
  double ll = 0, t = 0;
  for (int64_t j = 0; j < len; ++j) {
    t += static_cast<double>(lags[n * TT + j]);
    const int64_t k = marks[n * TT + j];
    const double a = static_cast<double>(alpha[k]), b = static_cast<double>(beta[k]);
    const double dt = t - last[k], d = ::exp(-b * dt);
    ds[k] = (ds[k] - dt * s[k]) * d;
    s[k] *= d;
    const double lam = static_cast<double>(lda[n * K + k]) + a * b * s[k];
    ll += ::log(lam);
    if (g) {
      g[k] += 1 / lam;
      g[K + k] += b * s[k] / lam;
      g[2 * K + k] += a * (s[k] + b * ds[k]) / lam;
    }
    s[k] += 1;
    mass[k] += 1;
    last[k] = t;
  }
  for (int64_t k = 0; k < K; ++k) {
    const double a = static_cast<double>(alpha[k]), b = static_cast<double>(beta[k]);
    const double dt = tmax - last[k], d = ::exp(-b * dt);
    ds[k] = (ds[k] - dt * s[k]) * d;
    s[k] *= d;
    ll -= static_cast<double>(lda[n * K + k]) * tmax + a * (mass[k] - s[k]);
    if (g) {
      g[k] -= tmax;
      g[K + k] -= mass[k] - s[k];
      g[2 * K + k] += a * ds[k];
    }
  }
  return ll;
}

}  // namespace op
}  // namespace mxc
