// The fused optimizer updates beyond sgd/nag/adam on the GPU (kernels_optim.cuh): elementwise, one thread per
// element, the formulas of core/ops/optimizer_more.cc in the same order of operations.
#include "common.cuh"
#include "kernels_optim.cuh"

namespace mxc {
namespace cuda {

namespace {

template <typename T>
__device__ __forceinline__ T ClipTo(T v, T c) {
  return c > T(0) ? (v > c ? c : (v < -c ? -c : v)) : v;
}
template <typename T>
__device__ __forceinline__ T SignOf(T v) {
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

template <typename T>
__global__ void OptMoreK(int kind, const T *w, const T *g, T *s1, T *s2, T *s3, T *out, int64_t n, T lr, T wd,
                         T rescale, T clip, T mom, T wd_lh, T b1, T b2, T eps, T c1, T c2, T l1, T beta, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T wi = w[i];
    T r;
    if (kind == 0) {  // signsgd
      r = (T(1) - lr * wd) * wi - lr * SignOf(ClipTo(rescale * g[i], clip));
    } else if (kind == 1) {  // signum
      const T m = mom * s1[i] - (T(1) - mom) * (ClipTo(rescale * g[i], clip) + wd * wi);
      s1[i] = m;
      r = (T(1) - lr * wd_lh) * wi + lr * SignOf(m);
    } else if (kind == 2) {  // ftml: s1 d, s2 v, s3 z
      const T gr = ClipTo(rescale * g[i] + wd * wi, clip);
      const T v = b2 * s2[i] + (T(1) - b2) * gr * gr;
      s2[i] = v;
      const T dn = c1 / lr * (sqrt(v / c2) + eps);
      const T z = b1 * s3[i] + (T(1) - b1) * gr - (dn - b1 * s1[i]) * wi;
      s3[i] = z;
      s1[i] = dn;
      r = -z / dn;
    } else if (kind == 3) {  // ftrl: s1 z, s2 n
      const T gr = ClipTo(rescale * g[i], clip);
      const T z = s1[i] + (gr - (sqrt(s2[i] + gr * gr) - sqrt(s2[i])) * wi / lr);
      const T nn = s2[i] + gr * gr;
      s1[i] = z;
      s2[i] = nn;
      r = (z > l1 || z < -l1) ? (SignOf(z) * l1 - z) / ((beta + sqrt(nn)) / lr + wd) : T(0);
    } else {  // lamb phase 1: s1 mean, s2 var
      const T gr = ClipTo(rescale * g[i], clip);
      const T m = b1 * s1[i] + (T(1) - b1) * gr;
      const T v = b2 * s2[i] + (T(1) - b2) * gr * gr;
      s1[i] = m;
      s2[i] = v;
      r = (m / c1) / (sqrt(v / c2) + eps) + wd * wi;
    }
    Store(out + i, req, r);
  }
}

template <typename T>
__global__ void Lamb2K(const T *w, const T *g, const T *r1p, const T *r2p, double lr, double lb, double ub, T *out,
                       int64_t n, int req) {
  double r1 = static_cast<double>(r1p[0]), r2 = static_cast<double>(r2p[0]);
  if (lb >= 0 && r1 < lb) r1 = lb;
  if (ub >= 0 && r1 > ub) r1 = ub;
  const T rate = static_cast<T>((r1 != 0 && r2 != 0) ? lr * (r1 / r2) : lr);
  MXC_CUDA_LOOP(i, n) { Store(out + i, req, w[i] - rate * g[i]); }
}

template <typename W>
__global__ void MpSGDK(int kind, const W *g, float *mom, float *w32, W *out, int64_t n, float lr, float wd, float mu,
                       float rescale, float clip, int req) {
  MXC_CUDA_LOOP(i, n) {
    const float gr = ClipTo(rescale * CvtFrom<float>::F(g[i]), clip) + wd * w32[i];
    float nw;
    if (kind == 0) {
      nw = w32[i] - lr * gr;
    } else {
      const float m = mu * mom[i] - lr * gr;
      mom[i] = m;
      nw = kind == 2 ? w32[i] + mu * m - lr * gr : w32[i] + m;
    }
    w32[i] = nw;
    if (req == 3) {
      out[i] = CvtFrom<W>::F(CvtFrom<float>::F(out[i]) + nw);
    } else if (req != 0) {
      out[i] = CvtFrom<W>::F(nw);
    }
  }
}

}  // namespace

void OptimizerUpdateMore(int kind, int dtype, const void *w, const void *g, void *s1, void *s2, void *s3, void *out,
                         int64_t n, const OptMoreHyper &h, int req, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, OptMoreK<T>)(
        kind, static_cast<const T *>(w), static_cast<const T *>(g), static_cast<T *>(s1), static_cast<T *>(s2),
        static_cast<T *>(s3), static_cast<T *>(out), n, T(h.lr), T(h.wd), T(h.rescale), T(h.clip), T(h.momentum),
        T(h.wd_lh), T(h.beta1), T(h.beta2), T(h.epsilon), T(h.c1), T(h.c2), T(h.lamda1), T(h.beta), req);
  });
}

void Lamb2Update(int dtype, const void *w, const void *g, const void *r1, const void *r2, double lr, double lb,
                 double ub, void *out, int64_t n, int req, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Lamb2K<T>)(static_cast<const T *>(w), static_cast<const T *>(g),
                                             static_cast<const T *>(r1), static_cast<const T *>(r2), lr, lb, ub,
                                             static_cast<T *>(out), n, req);
  });
}

void MpSGDUpdate(int kind, int wdtype, const void *g, float *mom, float *w32, void *out, int64_t n, float lr, float wd,
                 float momentum, float rescale, float clip, int req, cudaStream_t s) {
  if (n == 0) return;
  if (wdtype == 2) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpSGDK<__half>)(kind, static_cast<const __half *>(g), mom, w32,
                                                  static_cast<__half *>(out), n, lr, wd, momentum, rescale, clip,
                                                  req);
  } else {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MpSGDK<float>)(kind, static_cast<const float *>(g), mom, w32,
                                                 static_cast<float *>(out), n, lr, wd, momentum, rescale, clip, req);
  }
}

}  // namespace cuda
}  // namespace mxc
