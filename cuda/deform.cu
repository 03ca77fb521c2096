// Deformable im2col / col2im of kernels_deform.cuh: one thread per (column row, output position) for the sampling
// and the data gradient (atomic additions into the planes), one per (deformable group, tap, output position) for
// the offset and mask gradients. Arithmetic in the data's dtype as the CPU kernel's.
#include <cmath>

#include "common.cuh"
#include "kernels_deform.cuh"
#include "../core/ops/deform_sample.h"

namespace mxc {
namespace cuda {

namespace {

// Bilinear sampling as the CPU kernels sample (core/ops/deform_sample.h).
template <typename T>
using DSample = op::DeformSample<T>;

// The sample of tap t (of deformable group dgi) at output position l of sample n.
template <typename T>
__device__ DSample<T> TapSample(const DeformGeom &g, int64_t n, int64_t dgi, int64_t t, int64_t l, const T *off) {
  const int64_t taps = g.kh * g.kw, L = g.Ho * g.Wo, i = t / g.kw, j = t % g.kw, y = l / g.Wo, x = l % g.Wo;
  const T *oh = off + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L;
  const T h = T(y * g.sh - g.ph + i * g.dh) + oh[l], w = T(x * g.sw - g.pw + j * g.dw) + oh[l + L];
  return DSample<T>(h, w, g.H, g.W, g.modulated);
}

template <typename T>
__global__ void Im2ColK(DeformGeom g, int64_t n, const T *x, const T *off, const T *mask, T *col) {
  const int64_t taps = g.kh * g.kw, L = g.Ho * g.Wo, cpd = g.C / g.DG, HW = g.H * g.W;
  MXC_CUDA_LOOP(e, g.C * taps * L) {
    const int64_t r = e / L, l = e % L, c = r / taps, t = r % taps, dgi = c / cpd;
    const DSample<T> s = TapSample(g, n, dgi, t, l, off);
    const T m = mask ? mask[((n * g.DG + dgi) * taps + t) * L + l] : T(1);
    col[e] = m * s.Value(x + (n * g.C + c) * HW);
  }
}

template <typename T>
__global__ void Col2ImK(DeformGeom g, int64_t n, const T *off, const T *mask, const T *dcol, T *dx) {
  const int64_t taps = g.kh * g.kw, L = g.Ho * g.Wo, cpd = g.C / g.DG, HW = g.H * g.W;
  MXC_CUDA_LOOP(e, g.C * taps * L) {
    const int64_t r = e / L, l = e % L, c = r / taps, t = r % taps, dgi = c / cpd;
    const DSample<T> s = TapSample(g, n, dgi, t, l, off);
    const T v = dcol[e] * (mask ? mask[((n * g.DG + dgi) * taps + t) * L + l] : T(1));
    T *p = dx + (n * g.C + c) * HW;
    for (int k = 0; k < 4; ++k)
      if (s.idx[k] >= 0) atomicAdd(p + s.idx[k], s.wt[k] * v);
  }
}

template <typename T>
__global__ void Col2CoordK(DeformGeom g, int64_t n, const T *x, const T *off, const T *mask, const T *dcol, T *doff,
                           T *dmask) {
  const int64_t taps = g.kh * g.kw, L = g.Ho * g.Wo, cpd = g.C / g.DG, HW = g.H * g.W;
  MXC_CUDA_LOOP(e, g.DG * taps * L) {
    const int64_t r = e / L, l = e % L, dgi = r / taps, t = r % taps;
    const DSample<T> s = TapSample(g, n, dgi, t, l, off);
    if (s.Empty()) continue;
    const T mv = mask ? mask[((n * g.DG + dgi) * taps + t) * L + l] : T(1);
    T ah = 0, aw = 0, am = 0;
    for (int64_t c = dgi * cpd; c < (dgi + 1) * cpd; ++c) {
      const T *xp = x + (n * g.C + c) * HW;
      const T d = dcol[(c * taps + t) * L + l];
      T gh, gw;
      s.Grad(xp, &gh, &gw);
      ah += d * gh, aw += d * gw;
      if (dmask) am += d * s.Value(xp);
    }
    if (doff) {
      T *go = doff + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L;
      go[l] += ah * mv;
      go[l + L] += aw * mv;
    }
    if (dmask) dmask[((n * g.DG + dgi) * taps + t) * L + l] += am;
  }
}

template <typename T>
__global__ void BiasFillK(T *y, const T *b, int64_t N, int64_t F, int64_t L, bool add) {
  MXC_CUDA_LOOP(e, N * F * L) y[e] = (add ? y[e] : T(0)) + b[(e / L) % F];
}

template <typename T>
__global__ void BiasGradK(const T *dy, T *db, int req, int64_t N, int64_t F, int64_t L) {
  MXC_CUDA_LOOP(f, F) {
    T s = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) s += dy[(n * F + f) * L + l];
    Store(db + f, req, s);
  }
}

}  // namespace

void DeformIm2Col(int dtype, const DeformGeom &g, int64_t n, const void *x, const void *off, const void *mask,
                  void *col, cudaStream_t s) {
  const int64_t total = g.C * g.kh * g.kw * g.Ho * g.Wo;
  if (total <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH(Blocks(total), kThreads, 0, s, Im2ColK<T>)(
                                     g, n, static_cast<const T *>(x), static_cast<const T *>(off),
                                     static_cast<const T *>(mask), static_cast<T *>(col)));
}

void DeformCol2Im(int dtype, const DeformGeom &g, int64_t n, const void *off, const void *mask, const void *dcol,
                  void *dx, cudaStream_t s) {
  const int64_t total = g.C * g.kh * g.kw * g.Ho * g.Wo;
  if (total <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH(Blocks(total), kThreads, 0, s, Col2ImK<T>)(
                                     g, n, static_cast<const T *>(off), static_cast<const T *>(mask),
                                     static_cast<const T *>(dcol), static_cast<T *>(dx)));
}

void DeformCol2Coord(int dtype, const DeformGeom &g, int64_t n, const void *x, const void *off, const void *mask,
                     const void *dcol, void *doff, void *dmask, cudaStream_t s) {
  const int64_t total = g.DG * g.kh * g.kw * g.Ho * g.Wo;
  if (total <= 0 || (!doff && !dmask)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH(Blocks(total), kThreads, 0, s, Col2CoordK<T>)(
                                     g, n, static_cast<const T *>(x), static_cast<const T *>(off),
                                     static_cast<const T *>(mask), static_cast<const T *>(dcol),
                                     static_cast<T *>(doff), static_cast<T *>(dmask)));
}

void DeformBiasFill(int dtype, void *y, const void *b, int64_t N, int64_t F, int64_t L, bool add, cudaStream_t s) {
  if (N * F * L <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH(Blocks(N * F * L), kThreads, 0, s, BiasFillK<T>)(
                                     static_cast<T *>(y), static_cast<const T *>(b), N, F, L, add));
}

void DeformBiasGrad(int dtype, const void *dy, void *db, int req, int64_t N, int64_t F, int64_t L, cudaStream_t s) {
  if (F <= 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH(Blocks(F), kThreads, 0, s, BiasGradK<T>)(
                                     static_cast<const T *>(dy), static_cast<T *>(db), req, N, F, L));
}

}  // namespace cuda
}  // namespace mxc
