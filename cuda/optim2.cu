// The kernels of kernels_optim2.cuh: AdamW, LAMB, multi-tensor SGD, multi_sum_sq, multi_lars and all_finite on the
// GPU, with the formulas of core/ops/optimizer_more.cc and core/ops/amp_ops.cc in the same order of operations (the
// hyperparameters rounded to the compute type as there). Values the CPU reads on the host (AdamW's rescale_grad, the
// preloaded learning rates, LAMB's norms) are read on the device: no host synchronisation.
#include "common.cuh"
#include "kernels_optim2.cuh"

namespace mxc {
namespace cuda {

namespace {

// clip(v) as the CPU's ClipIf: std::max(-c, std::min(c, v)) (a NaN becomes c, as there).
template <typename T>
__device__ __forceinline__ T ClipCpu(T v, T c, bool on) {
  if (!on) return v;
  const T m = v < c ? v : c;
  return -c < m ? m : -c;
}

// *o (=|+=) v by req, the sum in V, stored as W (the CPU's StoreReq).
template <typename W, typename V>
__device__ __forceinline__ void StoreAs(W *o, int req, V v) {
  if (req == 0) return;
  if (req == 3) v += CvtFrom<V>::F(*o);
  *o = CvtFrom<W>::F(v);
}

__device__ __forceinline__ bool Finite(double v) { return v - v == 0.0; }  // false for NaN and +-Inf

// ------------------------------------------------------------------------------------------------- AdamW
template <typename W, typename T, typename R>
__global__ void AdamWK(const W *w, const W *g, T *mean, T *var, T *w32, const R *rescale, W *out, int64_t n, T lr,
                       T wd, T eta, T b1, T b2, T eps, T clip, bool do_clip, int req) {
  const double rsd = static_cast<double>(rescale[0]);
  const bool take = Finite(rsd) && rsd != 0.0;
  const T rs = static_cast<T>(rsd);
  MXC_CUDA_LOOP(i, n) {
    if (!take) {  // the weight passes unchanged
      if (req != 0 && static_cast<const void *>(w) != static_cast<const void *>(out))
        StoreAs<W, double>(out + i, req, CvtFrom<double>::F(w[i]));
      continue;
    }
    const T gr = ClipCpu(rs * CvtFrom<T>::F(g[i]), clip, do_clip);
    const T m = b1 * mean[i] + (T(1) - b1) * gr;
    const T v = b2 * var[i] + (T(1) - b2) * gr * gr;
    mean[i] = m;
    var[i] = v;
    const T wv = w32 ? w32[i] : CvtFrom<T>::F(w[i]);
    const T nw = wv - eta * (lr * m / (sqrt(v) + eps) + wd * wv);
    if (w32) w32[i] = nw;
    StoreAs<W, T>(out + i, req, nw);
  }
}

template <typename W, typename T>
void AdamWLaunch(const void *w, const void *g, void *mean, void *var, float *w32, const void *rescale, int rdtype,
                 void *out, int64_t n, const AdamWHyper &h, int req, cudaStream_t s) {
  T *m32 = nullptr;
  if constexpr (sizeof(T) == sizeof(float)) m32 = w32;
  MXC_CUDA_REAL_SWITCH(rdtype, R, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, AdamWK<W, T, R>)(
        static_cast<const W *>(w), static_cast<const W *>(g), static_cast<T *>(mean), static_cast<T *>(var), m32,
        static_cast<const R *>(rescale), static_cast<W *>(out), n, T(h.lr), T(h.wd), T(h.eta), T(h.beta1),
        T(h.beta2), T(h.epsilon), T(h.clip), h.clip > 0, req);
  });
}

// ------------------------------------------------------------------------------------------------- LAMB
template <typename T>
__device__ __forceinline__ T LambDir(T m, T v, T wv, T c1, T c2, T eps, T wd) {
  return (m / c1) / (sqrt(v / c2) + eps) + wd * wv;
}

// Phase 1 over a grid-stride range: the states updated; each block's sums of weight^2 and r^2 into part[2b] and
// part[2b+1].
template <typename W, typename T>
__global__ void LambPhase1K(const W *w, const W *g, T *mean, T *var, const T *w32, double *part, int64_t n, T rs,
                            T clip, bool do_clip, T b1, T b2, T eps, T c1, T c2, T wd) {
  __shared__ double red[kThreads];
  double s1 = 0, s2 = 0;
  MXC_CUDA_LOOP(i, n) {
    const T gr = ClipCpu(rs * CvtFrom<T>::F(g[i]), clip, do_clip);
    const T m = b1 * mean[i] + (T(1) - b1) * gr;
    const T v = b2 * var[i] + (T(1) - b2) * gr * gr;
    mean[i] = m;
    var[i] = v;
    const T wv = w32 ? w32[i] : CvtFrom<T>::F(w[i]);
    const double r = static_cast<double>(LambDir(m, v, wv, c1, c2, eps, wd));
    const double wn = CvtFrom<double>::F(w[i]);
    s1 += wn * wn;
    s2 += r * r;
  }
  const double t1 = BlockSum(s1, red);
  const double t2 = BlockSum(s2, red);
  if (threadIdx.x == 0) {
    part[2 * blockIdx.x] = t1;
    part[2 * blockIdx.x + 1] = t2;
  }
}

// One block: the norms from the nb blocks' partial sums, then the step lr * r1 / r2 (lr when a norm is 0) into
// part[2 * nb].
__global__ void LambRateK(double *part, int nb, double lr, double lb, double ub) {
  __shared__ double red[kThreads];
  double a = 0, b = 0;
  for (int j = threadIdx.x; j < nb; j += blockDim.x) {
    a += part[2 * j];
    b += part[2 * j + 1];
  }
  double r1 = sqrt(BlockSum(a, red));
  const double r2 = sqrt(BlockSum(b, red));
  if (threadIdx.x == 0) {
    if (lb >= 0 && r1 < lb) r1 = lb;
    if (ub >= 0 && r1 > ub) r1 = ub;
    part[2 * nb] = (r1 != 0 && r2 != 0) ? lr * r1 / r2 : lr;
  }
}

// Phase 2: the direction again from the updated states (the same arithmetic as phase 1), weight -= step * r.
template <typename W, typename T>
__global__ void LambPhase2K(const W *w, const T *mean, const T *var, T *w32, const double *step_p, W *out, int64_t n,
                            T eps, T c1, T c2, T wd, int req) {
  const T step = static_cast<T>(*step_p);
  MXC_CUDA_LOOP(i, n) {
    const T wv = w32 ? w32[i] : CvtFrom<T>::F(w[i]);
    const T nw = wv - step * LambDir(mean[i], var[i], wv, c1, c2, eps, wd);
    if (w32) w32[i] = nw;
    StoreAs<W, T>(out + i, req, nw);
  }
}

template <typename W, typename T>
void LambLaunch(const void *w, const void *g, void *mean, void *var, float *w32, void *out, int64_t n,
                const LambHyper &h, int req, cudaStream_t s) {
  T *m32 = nullptr;
  if constexpr (sizeof(T) == sizeof(float)) m32 = w32;
  const int nb = Blocks(n) < kThreads ? Blocks(n) : kThreads;
  double *part = nullptr;
  // On failure the launches are skipped (no kernel gets a null buffer); the error stays the thread's last CUDA error,
  // which the glue's CheckLaunch reports.
  if (cudaMallocAsync(reinterpret_cast<void **>(&part), sizeof(double) * (2 * nb + 1), s) != cudaSuccess) return;
  const T eps = T(h.epsilon), c1 = T(h.c1), c2 = T(h.c2), wd = T(h.wd);
  MXC_LAUNCH_BLOCK(nb, kThreads, 0, s, LambPhase1K<W, T>)(
      static_cast<const W *>(w), static_cast<const W *>(g), static_cast<T *>(mean), static_cast<T *>(var), m32, part,
      n, T(h.rescale), T(h.clip), h.clip > 0, T(h.beta1), T(h.beta2), eps, c1, c2, wd);
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, LambRateK)(part, nb, h.lr, h.lower, h.upper);
  MXC_LAUNCH(Blocks(n), kThreads, 0, s, LambPhase2K<W, T>)(static_cast<const W *>(w), static_cast<const T *>(mean),
                                                   static_cast<const T *>(var), m32, part + 2 * nb,
                                                   static_cast<W *>(out), n, eps, c1, c2, wd, req);
  cudaFreeAsync(part, s);
}

template <typename W>
__global__ void MpLamb1K(const W *g, float *mean, float *var, const float *w32, float *out, int64_t n, float rs,
                         float clip, bool do_clip, float b1, float b2, float eps, float c1, float c2, float wd,
                         int req) {
  MXC_CUDA_LOOP(i, n) {
    const float gr = ClipCpu(rs * CvtFrom<float>::F(g[i]), clip, do_clip);
    const float m = b1 * mean[i] + (1.f - b1) * gr;
    const float v = b2 * var[i] + (1.f - b2) * gr * gr;
    mean[i] = m;
    var[i] = v;
    StoreAs<float, float>(out + i, req, LambDir(m, v, w32[i], c1, c2, eps, wd));
  }
}

template <typename W>
__global__ void MpLamb2K(const float *g, const float *r1p, const float *r2p, double lr, double lb, double ub,
                         float *w32, W *out, int64_t n, int req) {
  double r1 = static_cast<double>(r1p[0]);
  const double r2 = static_cast<double>(r2p[0]);
  if (lb >= 0 && r1 < lb) r1 = lb;
  if (ub >= 0 && r1 > ub) r1 = ub;
  if (r1 != 0 && r2 != 0) lr *= r1 / r2;
  const float rate = static_cast<float>(lr);
  MXC_CUDA_LOOP(i, n) {
    const float nw = w32[i] - rate * g[i];
    w32[i] = nw;
    StoreAs<W, float>(out + i, req, nw);
  }
}

// ------------------------------------------------------------------------------------------------- multi SGD
// Up to kMultiSGDPerLaunch tensors, passed by value to one launch: blockIdx.y picks the tensor, the x blocks stride
// over its elements.
template <typename W, typename T>
struct MultiSGDPack {
  const W *w[kMultiSGDPerLaunch], *g[kMultiSGDPerLaunch];
  T *mom[kMultiSGDPerLaunch], *w32[kMultiSGDPerLaunch];
  W *out[kMultiSGDPerLaunch];
  int64_t n[kMultiSGDPerLaunch];
  T lr[kMultiSGDPerLaunch], wd[kMultiSGDPerLaunch];
  int req[kMultiSGDPerLaunch], k[kMultiSGDPerLaunch];
};

template <typename W, typename T>
__global__ void MultiSGDK(MultiSGDPack<W, T> pk, const T *lrs, const T *wds, T mu, T rs, T clip, bool do_clip) {
  const int t = blockIdx.y;
  const W *w = pk.w[t], *g = pk.g[t];
  T *mom = pk.mom[t], *w32 = pk.w32[t];
  W *out = pk.out[t];
  const T lr = lrs ? lrs[pk.k[t]] : pk.lr[t], wd = lrs ? wds[pk.k[t]] : pk.wd[t];
  const int req = pk.req[t];
  MXC_CUDA_LOOP(i, pk.n[t]) {
    const T gr = ClipCpu(rs * CvtFrom<T>::F(g[i]), clip, do_clip);
    T nw;
    if (w32) {  // mixed precision: on the master copy
      const T gw = gr + wd * w32[i];
      if (mom) {
        const T m = mu * mom[i] - lr * gw;
        mom[i] = m;
        nw = w32[i] + m;
      } else {
        nw = w32[i] - lr * gw;
      }
      w32[i] = nw;
    } else {
      const T wv = CvtFrom<T>::F(w[i]);
      if (mom) {
        const T m = mu * mom[i] - lr * (gr + wd * wv);
        mom[i] = m;
        nw = wv + m;
      } else {
        nw = wv - lr * (gr + wd * wv);
      }
    }
    StoreAs<W, T>(out + i, req, nw);
  }
}

template <typename W, typename T>
void MultiSGDLaunch(const MultiSGDTensor *ts, int count, bool mp, const void *lrs, const void *wds, double momentum,
                    double rescale, double clip, cudaStream_t s) {
  for (int k0 = 0; k0 < count; k0 += kMultiSGDPerLaunch) {
    const int m = count - k0 < kMultiSGDPerLaunch ? count - k0 : kMultiSGDPerLaunch;
    MultiSGDPack<W, T> pk{};
    int64_t most = 0;
    for (int t = 0; t < m; ++t) {
      const MultiSGDTensor &x = ts[k0 + t];
      pk.w[t] = static_cast<const W *>(x.w);
      pk.g[t] = static_cast<const W *>(x.g);
      pk.mom[t] = static_cast<T *>(x.mom);
      if constexpr (sizeof(T) == sizeof(float)) pk.w32[t] = mp ? x.w32 : nullptr;
      pk.out[t] = static_cast<W *>(x.out);
      pk.n[t] = x.req == 0 ? 0 : x.n;
      pk.lr[t] = T(x.lr);
      pk.wd[t] = T(x.wd);
      pk.req[t] = x.req;
      pk.k[t] = x.k;
      if (pk.n[t] > most) most = pk.n[t];
    }
    if (most == 0) continue;
    // x blocks for the largest tensor, at most 1024 (the loops stride over the rest): the blocks of the smaller
    // tensors that find no element end at once, and there are not too many of them
    const int bx = Blocks(most) < 1024 ? Blocks(most) : 1024;
    MXC_LAUNCH(dim3(bx, m), kThreads, 0, s, MultiSGDK<W, T>)(
        pk, static_cast<const T *>(lrs), static_cast<const T *>(wds), T(momentum), T(rescale), T(clip),
        clip > 0);
  }
}

// ------------------------------------------------------------------------------------------------- reductions
// Each block's sum of squares (float64) of x into part[b].
template <typename T>
__global__ void SumSqPartK(const T *x, int64_t n, double *part) {
  __shared__ double red[kThreads];
  double acc = 0;
  MXC_CUDA_LOOP(i, n) {
    const double v = CvtFrom<double>::F(x[i]);
    acc += v * v;
  }
  acc = BlockSum(acc, red);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}
// One block: the sum of the nb partial sums, stored at *out as float32 by req.
__global__ void SumSqFinalK(const double *part, int nb, float *out, int req) {
  __shared__ double red[kThreads];
  double acc = 0;
  for (int j = threadIdx.x; j < nb; j += blockDim.x) acc += part[j];
  acc = BlockSum(acc, red);
  if (threadIdx.x == 0) StoreAs<float, float>(out, req, static_cast<float>(acc));
}

template <typename T>
__global__ void LarsK(const T *lr, const T *wsq, const T *gsq, const T *wd, T *out, int64_t n, T eta, T eps, T rs,
                      int req) {
  MXC_CUDA_LOOP(i, n) {
    const T wn = sqrt(wsq[i]), gn = sqrt(gsq[i]);
    Store(out + i, req, (wn > T(0) && gn > T(0)) ? lr[i] * eta * wn / (gn * rs + wd[i] * wn + eps) : lr[i]);
  }
}

template <typename T>
__global__ void NonFiniteK(const T *x, int64_t n, float *out) {
  MXC_CUDA_LOOP(i, n) {
    if (!Finite(static_cast<double>(x[i]))) *out = 0.f;
  }
}
// float16 as its bits: exponent all ones is Inf or NaN.
__global__ void NonFiniteHalfK(const uint16_t *x, int64_t n, float *out) {
  MXC_CUDA_LOOP(i, n) {
    if ((x[i] & 0x7c00u) == 0x7c00u) *out = 0.f;
  }
}

}  // namespace

void AdamWUpdate(int wdtype, bool mp, const void *w, const void *g, void *mean, void *var, float *w32,
                 const void *rescale, int rdtype, void *out, int64_t n, const AdamWHyper &h, int req, cudaStream_t s) {
  if (n == 0) return;
  if (mp && wdtype == 2) AdamWLaunch<__half, float>(w, g, mean, var, w32, rescale, rdtype, out, n, h, req, s);
  else if (mp && wdtype == 0) AdamWLaunch<float, float>(w, g, mean, var, w32, rescale, rdtype, out, n, h, req, s);
  else if (!mp && wdtype == 0) AdamWLaunch<float, float>(w, g, mean, var, nullptr, rescale, rdtype, out, n, h, req, s);
  else if (!mp && wdtype == 1)
    AdamWLaunch<double, double>(w, g, mean, var, nullptr, rescale, rdtype, out, n, h, req, s);
}

void LambUpdate(int wdtype, bool mp, const void *w, const void *g, void *mean, void *var, float *w32, void *out,
                int64_t n, const LambHyper &h, int req, cudaStream_t s) {
  if (n == 0) return;
  if (mp && wdtype == 2) LambLaunch<__half, float>(w, g, mean, var, w32, out, n, h, req, s);
  else if (mp && wdtype == 0) LambLaunch<float, float>(w, g, mean, var, w32, out, n, h, req, s);
  else if (!mp && wdtype == 0) LambLaunch<float, float>(w, g, mean, var, nullptr, out, n, h, req, s);
  else if (!mp && wdtype == 1) LambLaunch<double, double>(w, g, mean, var, nullptr, out, n, h, req, s);
}

void MpLamb1Update(int wdtype, const void *g, float *mean, float *var, const float *w32, float *out, int64_t n,
                   const LambHyper &h, int req, cudaStream_t s) {
  if (n == 0) return;
  const float rs = float(h.rescale), clip = float(h.clip), b1 = float(h.beta1), b2 = float(h.beta2);
  const float eps = float(h.epsilon), c1 = float(h.c1), c2 = float(h.c2), wd = float(h.wd);
  if (wdtype == 2) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpLamb1K<__half>)(static_cast<const __half *>(g), mean, var, w32, out, n,
                                                    rs, clip, h.clip > 0, b1, b2, eps, c1, c2, wd, req);
  } else {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpLamb1K<float>)(static_cast<const float *>(g), mean, var, w32, out, n, rs,
                                                   clip, h.clip > 0, b1, b2, eps, c1, c2, wd, req);
  }
}

void MpLamb2Update(int wdtype, const float *g, const float *r1, const float *r2, double lr, double lower,
                   double upper, float *w32, void *out, int64_t n, int req, cudaStream_t s) {
  if (n == 0) return;
  if (wdtype == 2) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpLamb2K<__half>)(g, r1, r2, lr, lower, upper, w32,
                                                    static_cast<__half *>(out), n, req);
  } else {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpLamb2K<float>)(g, r1, r2, lr, lower, upper, w32,
                                                   static_cast<float *>(out), n, req);
  }
}

void MultiSGDUpdate(int wdtype, bool mp, const MultiSGDTensor *ts, int count, const void *lrs, const void *wds,
                    double momentum, double rescale, double clip, cudaStream_t s) {
  if (count <= 0) return;
  if (mp && wdtype == 2)
    MultiSGDLaunch<__half, float>(ts, count, true, lrs, wds, momentum, rescale, clip, s);
  else if (wdtype == 0)
    MultiSGDLaunch<float, float>(ts, count, mp, lrs, wds, momentum, rescale, clip, s);
  else if (!mp && wdtype == 1)
    MultiSGDLaunch<double, double>(ts, count, false, lrs, wds, momentum, rescale, clip, s);
}

void MultiSumSq(int dtype, const void *const *xs, const int64_t *ns, int count, float *out, int req, cudaStream_t s) {
  if (count == 0 || req == 0) return;
  double *part = nullptr;
  if (cudaMallocAsync(reinterpret_cast<void **>(&part), sizeof(double) * kThreads * count, s) != cudaSuccess)
    return;  // reported by the glue's CheckLaunch (the thread's last CUDA error)
  for (int k = 0; k < count; ++k) {
    const int nb = Blocks(ns[k]) < kThreads ? Blocks(ns[k]) : kThreads;
    double *pk = part + static_cast<int64_t>(k) * kThreads;
    if (dtype == 2) {
      MXC_LAUNCH_BLOCK(nb, kThreads, 0, s, SumSqPartK<__half>)(static_cast<const __half *>(xs[k]), ns[k], pk);
    } else {
      MXC_CUDA_REAL_SWITCH(dtype, T, {
        MXC_LAUNCH_BLOCK(nb, kThreads, 0, s, SumSqPartK<T>)(static_cast<const T *>(xs[k]), ns[k], pk);
      });
    }
    MXC_LAUNCH_BLOCK(1, kThreads, 0, s, SumSqFinalK)(pk, nb, out + k, req);
  }
  cudaFreeAsync(part, s);
}

void MultiLars(int dtype, const void *lr, const void *wsq, const void *gsq, const void *wd, void *out, int64_t n,
               double eta, double eps, double rescale, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LarsK<T>)(static_cast<const T *>(lr), static_cast<const T *>(wsq),
                                            static_cast<const T *>(gsq), static_cast<const T *>(wd),
                                            static_cast<T *>(out), n, T(eta), T(eps), T(rescale), req);
  });
}

void MarkNonFinite(int dtype, const void *x, int64_t n, float *out, cudaStream_t s) {
  if (n == 0) return;
  if (dtype == 2) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, NonFiniteHalfK)(static_cast<const uint16_t *>(x), n, out);
  } else {
    MXC_CUDA_REAL_SWITCH(dtype, T, {
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, NonFiniteK<T>)(static_cast<const T *>(x), n, out);
    });
  }
}

}  // namespace cuda
}  // namespace mxc
