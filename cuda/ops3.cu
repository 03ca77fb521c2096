// The kernels of kernels_ops3.cuh: Correlation, count_sketch, RROIAlign, fill_element_0index, hawkesll
// (one thread per sample) and group_adagrad_update. One thread per output element (or, for the
// gradients, per input element gathering the outputs that used it), summing in double in the CPU kernels' order,
// so that results do not depend on the order of threads and match the CPU.
#include "common.cuh"
#include "kernels_ops3.cuh"
#include "../core/ops/hawkes_impl.h"

namespace mxc {
namespace cuda {

namespace {

// ---- Correlation: the CPU kernel's arithmetic per element (core/ops/correlation_impl.h)
template <typename T>
__global__ void CorrK(CorrGeom g, const T *a, const T *b, T *y, int req) {
  MXC_CUDA_LOOP(e, g.N * g.D * g.D * g.th * g.tw) Store(y + e, req, static_cast<T>(op::CorrOutput(g, a, b, e)));
}

template <typename T>
__global__ void CorrGradK(CorrGeom g, bool second, const T *og, const T *a, const T *b, T *dst, int req) {
  MXC_CUDA_LOOP(e, g.N * g.C * g.H * g.W) {
    Store(dst + e, req, static_cast<T>(op::CorrInputGrad(g, second, og, a, b, e)));
  }
}

// ---- count_sketch
template <typename T>
__global__ void SketchK(const T *x, const T *sgn, const int64_t *off, const int64_t *idx, T *y, int64_t N, int64_t d,
                        int64_t K, int req) {
  MXC_CUDA_LOOP(e, N * K) {
    const int64_t k = e % K, n = e / K;
    double acc = 0;
    for (int64_t t = off[k]; t < off[k + 1]; ++t) {
      const int64_t i = idx[t];
      acc += static_cast<double>(sgn[i]) * static_cast<double>(x[n * d + i]);
    }
    Store(y + e, req, static_cast<T>(acc));
  }
}

template <typename T>
__global__ void SketchGradK(const T *dy, const T *sgn, const int64_t *bucket, T *dx, int64_t N, int64_t d, int64_t K,
                            int req) {
  MXC_CUDA_LOOP(e, N * d) {
    const int64_t i = e % d, n = e / d;
    Store(dx + e, req, static_cast<T>(static_cast<double>(dy[n * K + bucket[i]]) * static_cast<double>(sgn[i])));
  }
}

// ---- RROIAlign: the CPU kernel's arithmetic per element (core/ops/rroi_impl.h)
template <typename T>
__global__ void RROIK(RROIGeom g, const T *x, const T *rois, T *y, int req) {
  MXC_CUDA_LOOP(e, g.R * g.C * g.PH * g.PW) Store(y + e, req, static_cast<T>(op::RROIOutput(g, x, rois, e)));
}

// ---- fill_element_0index
template <typename T>
__global__ void FillElemK(const T *x, const T *v, const T *idx, T *y, int64_t n, int64_t m, int req) {
  MXC_CUDA_LOOP(e, n * m) {
    const int64_t i = e / m, j = e % m;
    const double c = trunc(static_cast<double>(idx[i]));
    Store(y + e, req, (c >= 0 && c < static_cast<double>(m) && static_cast<int64_t>(c) == j) ? v[i] : x[e]);
  }
}

// ---- hawkesll
template <typename T>
__device__ double ValidLen(const HawkesArgs &a, int64_t n) {
  return ceil(static_cast<double>(static_cast<const T *>(a.valid)[n]));
}

template <typename T>
__global__ void HawkesCheckK(HawkesArgs a, unsigned long long *bad) {
  MXC_CUDA_LOOP(n, a.N) {
    const double v = ValidLen<T>(a, n);
    if (!(v >= 0 && v <= static_cast<double>(a.T))) {
      *bad = 1;
      continue;
    }
    const int64_t len = static_cast<int64_t>(v);
    for (int64_t j = 0; j < len; ++j) {
      const int32_t m = a.marks[n * a.T + j];
      if (m < 0 || m >= a.K) *bad = 1;
    }
  }
}

// The log likelihood of sample n (core/ops/hawkes_impl.h, as the CPU), its final memory in s; with g, the gradients.
template <typename T>
__device__ double HawkesSampleD(const HawkesArgs &a, int64_t n, double *s, double *ds, double *last, double *mass,
                                double *g) {
  const int64_t len = static_cast<int64_t>(ValidLen<T>(a, n));
  const double tmax = static_cast<double>(static_cast<const T *>(a.tmax)[n]);
  return op::HawkesSample(n, a.K, a.T, static_cast<const T *>(a.lda), static_cast<const T *>(a.alpha),
                          static_cast<const T *>(a.beta), static_cast<const T *>(a.state),
                          static_cast<const T *>(a.lags), a.marks, len, tmax, s, ds, last, mass, g);
}

template <typename T>
__global__ void HawkesK(HawkesArgs a, T *ll, int req_ll, T *st, int req_st, double *scratch) {
  MXC_CUDA_LOOP(n, a.N) {
    const int64_t K = a.K;
    double *s = scratch + n * 4 * K;
    const double v = HawkesSampleD<T>(a, n, s, s + K, s + 2 * K, s + 3 * K, nullptr);
    Store(ll + n, req_ll, static_cast<T>(v));
    for (int64_t k = 0; k < K; ++k) Store(st + n * K + k, req_st, static_cast<T>(s[k]));
  }
}

template <typename T>
__global__ void HawkesGradK(HawkesArgs a, const T *head, T *dlda, int req_lda, double *scratch) {
  MXC_CUDA_LOOP(n, a.N) {
    const int64_t K = a.K;
    double *s = scratch + n * 7 * K, *g = s + 4 * K;
    HawkesSampleD<T>(a, n, s, s + K, s + 2 * K, s + 3 * K, g);
    const double h = static_cast<double>(head[n]);
    for (int64_t k = 0; k < K; ++k) {
      if (dlda) Store(dlda + n * K + k, req_lda, static_cast<T>(h * g[k]));
      g[K + k] = h * g[K + k];  // alpha's and beta's parts, summed over the samples by HawkesSumK
      g[2 * K + k] = h * g[2 * K + k];
    }
  }
}

// dst[k] (req) = sum over n, in order, of scratch[n * 7 K + off + k].
template <typename T>
__global__ void HawkesSumK(const double *scratch, int64_t N, int64_t K, int64_t off, T *dst, int req) {
  MXC_CUDA_LOOP(k, K) {
    double acc = 0;
    for (int64_t n = 0; n < N; ++n) acc += scratch[n * 7 * K + off + k];
    Store(dst + k, req, static_cast<T>(acc));
  }
}

// ---- group_adagrad_update
__device__ __forceinline__ double GAGrad(const GroupAdagradHyper &hp, double g) {
  const double v = hp.rescale * g;
  return hp.clip > 0 ? (v > hp.clip ? hp.clip : (v < -hp.clip ? -hp.clip : v)) : v;
}
template <typename T>
__global__ void GroupAdagradRowK(GroupAdagradHyper hp, const T *g, T *h, int64_t R, int64_t C) {
  MXC_CUDA_LOOP(r, R) {
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) {
      const double v = GAGrad(hp, static_cast<double>(g[r * C + c]));
      ss += v * v;
    }
    h[r] = static_cast<T>(static_cast<double>(h[r]) + ss / static_cast<double>(C));
  }
}
template <typename T>
__global__ void GroupAdagradK(GroupAdagradHyper hp, const T *w, const T *g, const T *h, T *y, int64_t R, int64_t C,
                              int req) {
  MXC_CUDA_LOOP(i, R * C) {
    const double den = sqrt(static_cast<double>(h[i / C]) + hp.eps);
    Store(y + i, req, static_cast<T>(static_cast<double>(w[i]) - hp.lr * GAGrad(hp, static_cast<double>(g[i])) / den));
  }
}

}  // namespace

void GroupAdagrad(int dtype, const GroupAdagradHyper &hp, const void *w, const void *g, void *hist, void *y,
                  int64_t R, int64_t C, int req, cudaStream_t s) {
  if (R == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(R), kThreads, 0, s, GroupAdagradRowK<T>)(hp, static_cast<const T *>(g), static_cast<T *>(hist),
                                                               R, C);
    if (R * C > 0 && req != 0)
      MXC_LAUNCH(Blocks(R * C), kThreads, 0, s, GroupAdagradK<T>)(hp, static_cast<const T *>(w),
                                                                  static_cast<const T *>(g),
                                                                  static_cast<const T *>(hist), static_cast<T *>(y),
                                                                  R, C, req);
  });
}

void HawkesCheck(int dtype, const HawkesArgs &a, unsigned long long *bad, cudaStream_t s) {
  if (a.N == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, { MXC_LAUNCH(Blocks(a.N), kThreads, 0, s, HawkesCheckK<T>)(a, bad); });
}

void HawkesLL(int dtype, const HawkesArgs &a, void *ll, int req_ll, void *state_out, int req_state, double *scratch,
              cudaStream_t s) {
  if (a.N == 0 || (req_ll == 0 && req_state == 0)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(a.N), kThreads, 0, s, HawkesK<T>)(a, static_cast<T *>(ll), req_ll, static_cast<T *>(state_out),
                                                        req_state, scratch);
  });
}

void HawkesLLGrad(int dtype, const HawkesArgs &a, const void *head, void *dlda, int req_lda, void *dalpha,
                  int req_alpha, void *dbeta, int req_beta, double *scratch, cudaStream_t s) {
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (a.N > 0)
      MXC_LAUNCH(Blocks(a.N), kThreads, 0, s, HawkesGradK<T>)(a, static_cast<const T *>(head),
                                                              req_lda ? static_cast<T *>(dlda) : nullptr, req_lda,
                                                              scratch);
    if (a.K > 0 && req_alpha)
      MXC_LAUNCH(Blocks(a.K), kThreads, 0, s, HawkesSumK<T>)(scratch, a.N, a.K, 5 * a.K, static_cast<T *>(dalpha),
                                                             req_alpha);
    if (a.K > 0 && req_beta)
      MXC_LAUNCH(Blocks(a.K), kThreads, 0, s, HawkesSumK<T>)(scratch, a.N, a.K, 6 * a.K, static_cast<T *>(dbeta),
                                                             req_beta);
  });
}

void FillElement0Index(int dtype, const void *x, const void *v, const void *idx, void *y, int64_t n, int64_t m,
                       int req, cudaStream_t s) {
  if (n * m == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n * m), kThreads, 0, s, FillElemK<T>)(static_cast<const T *>(x), static_cast<const T *>(v),
                                                            static_cast<const T *>(idx), static_cast<T *>(y), n, m,
                                                            req);
  });
}

void RROIAlign(int dtype, const RROIGeom &g, const void *x, const void *rois, void *y, int req, cudaStream_t s) {
  const int64_t n = g.R * g.C * g.PH * g.PW;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RROIK<T>)(g, static_cast<const T *>(x), static_cast<const T *>(rois),
                                                    static_cast<T *>(y), req);
  });
}

void Correlation(int dtype, const CorrGeom &g, const void *a, const void *b, void *y, int req, cudaStream_t s) {
  const int64_t n = g.N * g.D * g.D * g.th * g.tw;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, CorrK<T>)(g, static_cast<const T *>(a), static_cast<const T *>(b),
                                                    static_cast<T *>(y), req);
  });
}

void CorrelationGrad(int dtype, const CorrGeom &g, bool second, const void *dy, const void *a, const void *b,
                     void *dx, int req, cudaStream_t s) {
  const int64_t n = g.N * g.C * g.H * g.W;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, CorrGradK<T>)(g, second, static_cast<const T *>(dy),
                                                        static_cast<const T *>(a), static_cast<const T *>(b),
                                                        static_cast<T *>(dx), req);
  });
}

void CountSketch(int dtype, const void *x, const void *sgn, const int64_t *off, const int64_t *idx, void *y,
                 int64_t N, int64_t d, int64_t K, int req, cudaStream_t s) {
  if (N * K == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * K), kThreads, 0, s, SketchK<T>)(static_cast<const T *>(x), static_cast<const T *>(sgn), off,
                                                          idx, static_cast<T *>(y), N, d, K, req);
  });
}

void CountSketchGrad(int dtype, const void *dy, const void *sgn, const int64_t *bucket, void *dx, int64_t N,
                     int64_t d, int64_t K, int req, cudaStream_t s) {
  if (N * d == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * d), kThreads, 0, s, SketchGradK<T>)(static_cast<const T *>(dy),
                                                              static_cast<const T *>(sgn), bucket,
                                                              static_cast<T *>(dx), N, d, K, req);
  });
}

}  // namespace cuda
}  // namespace mxc
