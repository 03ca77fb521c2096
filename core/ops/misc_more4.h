// Per-element arithmetic of core/ops/misc_more4.cc shared with the GPU kernels (cuda/misc4.cu): a plain header nvcc
// compiles too (the pattern of correlation_impl.h).
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define MXC_MISC4_HD __host__ __device__
#else
#define MXC_MISC4_HD
#endif

namespace mxc {
namespace op {

// _onehot_encode: element j of the row of index v (truncated; outside [0, k): no hot element).
MXC_MISC4_HD inline float OneHotValue(float v, int64_t j, int64_t k) {
  if (!(v > -1.0f && v < static_cast<float>(k))) return 0.0f;  // also NaN
  return static_cast<int64_t>(v) == j ? 1.0f : 0.0f;
}

// IdentityAttachKLSparseReg: data (N, C, S...) as (N, C, S).
struct KLGeom {
  int64_t N, C, S;
};
// Channel c's new moving average: m avg + (1 - m) mean(x[:, c, :]), the mean summed in double in (n, s) order.
template <typename T>
MXC_MISC4_HD inline double KLMovingAvg(const T *x, double avg, const KLGeom &g, int64_t c, double m) {
  double sum = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t s = 0; s < g.S; ++s) sum += static_cast<double>(x[(n * g.C + c) * g.S + s]);
  const double cnt = static_cast<double>(g.N * g.S);
  return m * avg + (1.0 - m) * (cnt > 0 ? sum / cnt : 0.0);
}
// The penalty's gradient at moving average avg.
MXC_MISC4_HD inline double KLPenalty(double avg, double t, double penalty) {
  return penalty * (-t / avg + (1.0 - t) / (1.0 - avg));
}

// _sample_unique_zipfian: the class of uniform draw u in [0, 1) (log-uniform over [0, r)), clamped into [0, r).
MXC_MISC4_HD inline int64_t ZipfClass(double u, double log_r1, int64_t r) {
  int64_t c = static_cast<int64_t>(floor(exp(u * log_r1))) - 1;
  if (c < 0) c = 0;
  if (c >= r) c = r - 1;
  return c;
}

}  // namespace op
}  // namespace mxc
