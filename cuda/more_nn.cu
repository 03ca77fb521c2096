// The kernels of kernels_more_nn.cuh: LRN, GroupNorm's statistics gradient, AdaptiveAvgPooling2D and
// BilinearResize2D. One thread per output element; the gradients gather (one thread per input element, reading the
// outputs that used it), so that no result depends on the order of threads.
#include "common.cuh"
#include "kernels_more_nn.cuh"

namespace mxc {
namespace cuda {

namespace {

// ---- LRN
// S of element (o, c, i) (base = o * C * inner + i).
template <typename T>
__device__ __forceinline__ double LRNScaleAt(const LRNGeom &g, const T *x, int64_t base, int64_t c) {
  const int64_t lo = c - g.half < 0 ? 0 : c - g.half, hi = c + g.half > g.C - 1 ? g.C - 1 : c + g.half;
  double ss = 0;
  for (int64_t j = lo; j <= hi; ++j) {
    const double v = static_cast<double>(x[base + j * g.inner]);
    ss += v * v;
  }
  return g.knorm + g.alpha_n * ss;
}
template <typename T>
__global__ void LRNK(LRNGeom g, const T *x, T *y, int req) {
  MXC_CUDA_LOOP(e, g.outer * g.C * g.inner) {
    const int64_t i = e % g.inner, c = (e / g.inner) % g.C, o = e / (g.inner * g.C);
    const double sc = LRNScaleAt(g, x, o * g.C * g.inner + i, c);
    Store(y + e, req, static_cast<T>(static_cast<double>(x[e]) * pow(sc, -g.beta)));
  }
}
template <typename T>
__global__ void LRNTmpK(LRNGeom g, const T *dy, const T *x, double *tmp) {
  MXC_CUDA_LOOP(e, g.outer * g.C * g.inner) {
    const int64_t i = e % g.inner, c = (e / g.inner) % g.C, o = e / (g.inner * g.C);
    const double sc = LRNScaleAt(g, x, o * g.C * g.inner + i, c);
    tmp[e] = static_cast<double>(dy[e]) * static_cast<double>(x[e]) * pow(sc, -g.beta - 1);
  }
}
template <typename T>
__global__ void LRNGradK(LRNGeom g, const T *dy, const T *x, const double *tmp, T *dx, int req) {
  MXC_CUDA_LOOP(e, g.outer * g.C * g.inner) {
    const int64_t i = e % g.inner, c = (e / g.inner) % g.C, o = e / (g.inner * g.C);
    const int64_t base = o * g.C * g.inner + i;
    const double sc = LRNScaleAt(g, x, base, c);
    const int64_t lo = c - g.half < 0 ? 0 : c - g.half, hi = c + g.half > g.C - 1 ? g.C - 1 : c + g.half;
    double acc = 0;
    for (int64_t j = lo; j <= hi; ++j) acc += tmp[base + j * g.inner];
    Store(dx + e, req,
          static_cast<T>(dy[e] * pow(sc, -g.beta) - 2 * g.beta * g.alpha_n * static_cast<double>(x[e]) * acc));
  }
}

// ---- GroupNorm
template <typename T>
__global__ void GNStatGradK(const T *x, const T *mean, const T *sd, const T *gm, const T *gs, T *dx, int64_t rows,
                            int64_t len) {
  MXC_CUDA_LOOP(e, rows * len) {
    const int64_t r = e / len;
    const double xhat = (static_cast<double>(x[e]) - static_cast<double>(mean[r])) / static_cast<double>(sd[r]);
    const double a = gm ? static_cast<double>(gm[r]) : 0.0, b = gs ? static_cast<double>(gs[r]) : 0.0;
    dx[e] = static_cast<T>(dx[e] + (a + b * xhat) / static_cast<double>(len));
  }
}

// ---- AdaptiveAvgPooling2D
__device__ __forceinline__ int64_t BinLo(int64_t i, int64_t in, int64_t out) { return i * in / out; }
__device__ __forceinline__ int64_t BinHi(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <typename T>
__global__ void AdaptiveK(const T *x, T *y, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow, int req) {
  MXC_CUDA_LOOP(e, planes * oh * ow) {
    const int64_t j = e % ow, i = (e / ow) % oh, pl = e / (ow * oh);
    const int64_t h0 = BinLo(i, H, oh), h1 = BinHi(i, H, oh), w0 = BinLo(j, W, ow), w1 = BinHi(j, W, ow);
    const double wt = 1.0 / static_cast<double>((h1 - h0) * (w1 - w0));
    const T *xp = x + pl * H * W;
    double acc = 0;
    for (int64_t yy = h0; yy < h1; ++yy)
      for (int64_t xx = w0; xx < w1; ++xx) acc += wt * static_cast<double>(xp[yy * W + xx]);
    Store(y + e, req, static_cast<T>(acc));
  }
}
// The output cells along an axis whose bins hold input index v: candidates around v * out / in, checked.
template <typename T>
__global__ void AdaptiveGradK(const T *dy, T *dx, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow,
                              int req) {
  MXC_CUDA_LOOP(e, planes * H * W) {
    const int64_t xx = e % W, yy = (e / W) % H, pl = e / (W * H);
    const T *gp = dy + pl * oh * ow;
    int64_t ilo = yy * oh / H - 1, ihi = (yy + 1) * oh / H + 1, jlo = xx * ow / W - 1, jhi = (xx + 1) * ow / W + 1;
    ilo = ilo < 0 ? 0 : ilo;
    jlo = jlo < 0 ? 0 : jlo;
    ihi = ihi > oh - 1 ? oh - 1 : ihi;
    jhi = jhi > ow - 1 ? ow - 1 : jhi;
    double acc = 0;
    for (int64_t i = ilo; i <= ihi; ++i) {
      const int64_t h0 = BinLo(i, H, oh), h1 = BinHi(i, H, oh);
      if (yy < h0 || yy >= h1) continue;
      for (int64_t j = jlo; j <= jhi; ++j) {
        const int64_t w0 = BinLo(j, W, ow), w1 = BinHi(j, W, ow);
        if (xx < w0 || xx >= w1) continue;
        acc += static_cast<double>(gp[i * ow + j]) / static_cast<double>((h1 - h0) * (w1 - w0));
      }
    }
    Store(dx + e, req, static_cast<T>(acc));
  }
}

// ---- BilinearResize2D
template <typename T>
__global__ void ResizeK(const T *x, T *y, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow, ResizeAxis ay,
                        ResizeAxis ax, int req) {
  MXC_CUDA_LOOP(e, planes * oh * ow) {
    const int64_t c = e % ow, r = (e / ow) % oh, pl = e / (ow * oh);
    const T *xp = x + pl * H * W;
    const double ly = ay.l[r], lx = ax.l[c];
    const int64_t y0 = ay.i0[r], y1 = ay.i1[r], x0 = ax.i0[c], x1 = ax.i1[c];
    double acc = 0;
    acc += (1 - ly) * (1 - lx) * static_cast<double>(xp[y0 * W + x0]);
    acc += (1 - ly) * lx * static_cast<double>(xp[y0 * W + x1]);
    acc += ly * (1 - lx) * static_cast<double>(xp[y1 * W + x0]);
    acc += ly * lx * static_cast<double>(xp[y1 * W + x1]);
    Store(y + e, req, static_cast<T>(acc));
  }
}
template <typename T>
__global__ void ResizeGradK(const T *dy, T *dx, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow,
                            ResizeAxis ay, ResizeAxis ax, int req) {
  MXC_CUDA_LOOP(e, planes * H * W) {
    const int64_t c = e % W, r = (e / W) % H, pl = e / (W * H);
    const T *gp = dy + pl * oh * ow;
    double acc = 0;
    for (int64_t a = ay.rev_off[r]; a < ay.rev_off[r + 1]; ++a)
      for (int64_t b = ax.rev_off[c]; b < ax.rev_off[c + 1]; ++b)
        acc += ay.rev_w[a] * ax.rev_w[b] * static_cast<double>(gp[ay.rev_o[a] * ow + ax.rev_o[b]]);
    Store(dx + e, req, static_cast<T>(acc));
  }
}

// ---- L2Normalization: one thread per group
template <typename T>
__global__ void L2NormK(const T *x, T *y, T *nrm, int64_t outer, int64_t n, int64_t inner, double eps, int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    double ss = 0;
    for (int64_t k = 0; k < n; ++k) {
      const double v = static_cast<double>(x[base + k * inner]);
      ss += v * v;
    }
    const double norm = sqrt(ss + eps);
    nrm[r] = static_cast<T>(norm);
    if (req == 0) continue;
    for (int64_t k = 0; k < n; ++k) Store(y + base + k * inner, req, static_cast<T>(x[base + k * inner] / norm));
  }
}
template <typename T>
__global__ void L2NormGradK(const T *dy, const T *y, const T *nrm, T *dx, int64_t outer, int64_t n, int64_t inner,
                            int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    double dot = 0;
    for (int64_t k = 0; k < n; ++k) dot += static_cast<double>(dy[base + k * inner]) * y[base + k * inner];
    const double inv = 1.0 / static_cast<double>(nrm[r]);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t j = base + k * inner;
      Store(dx + j, req, static_cast<T>((dy[j] - y[j] * dot) * inv));
    }
  }
}

}  // namespace

void L2Norm(int dtype, const void *x, void *y, void *norm, int64_t outer, int64_t n, int64_t inner, double eps,
            int req, cudaStream_t s) {
  if (outer * inner == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, L2NormK<T>)(static_cast<const T *>(x), static_cast<T *>(y),
                                                                 static_cast<T *>(norm), outer, n, inner, eps, req);
  });
}

void L2NormGrad(int dtype, const void *dy, const void *y, const void *norm, void *dx, int64_t outer, int64_t n,
                int64_t inner, int req, cudaStream_t s) {
  if (outer * inner == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, L2NormGradK<T>)(
        static_cast<const T *>(dy), static_cast<const T *>(y), static_cast<const T *>(norm), static_cast<T *>(dx),
        outer, n, inner, req);
  });
}

void LRN(int dtype, const LRNGeom &g, const void *x, void *y, int req, cudaStream_t s) {
  const int64_t n = g.outer * g.C * g.inner;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LRNK<T>)(g, static_cast<const T *>(x), static_cast<T *>(y), req);
  });
}

void LRNGrad(int dtype, const LRNGeom &g, const void *dy, const void *x, void *dx, double *tmp, int req,
             cudaStream_t s) {
  const int64_t n = g.outer * g.C * g.inner;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LRNTmpK<T>)(g, static_cast<const T *>(dy), static_cast<const T *>(x), tmp);
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LRNGradK<T>)(g, static_cast<const T *>(dy), static_cast<const T *>(x), tmp,
                                                      static_cast<T *>(dx), req);
  });
}

void GroupNormStatGradAdd(int dtype, const void *x, const void *mean, const void *std_, const void *gmean,
                          const void *gstd, void *dx, int64_t rows, int64_t len, cudaStream_t s) {
  if (rows * len == 0 || (!gmean && !gstd)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows * len), kThreads, 0, s, GNStatGradK<T>)(
        static_cast<const T *>(x), static_cast<const T *>(mean), static_cast<const T *>(std_),
        static_cast<const T *>(gmean), static_cast<const T *>(gstd), static_cast<T *>(dx), rows, len);
  });
}

void AdaptiveAvgPool2D(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t oh,
                       int64_t ow, int req, cudaStream_t s) {
  const int64_t n = planes * oh * ow;
  if (n == 0 || req == 0 || H == 0 || W == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, AdaptiveK<T>)(static_cast<const T *>(x), static_cast<T *>(y), planes, H, W,
                                                       oh, ow, req);
  });
}

void AdaptiveAvgPool2DGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t oh,
                           int64_t ow, int req, cudaStream_t s) {
  const int64_t n = planes * H * W;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, AdaptiveGradK<T>)(static_cast<const T *>(dy), static_cast<T *>(dx), planes,
                                                           H, W, oh, ow, req);
  });
}

void BilinearResize(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow,
                    const ResizeAxis &ay, const ResizeAxis &ax, int req, cudaStream_t s) {
  const int64_t n = planes * oh * ow;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ResizeK<T>)(static_cast<const T *>(x), static_cast<T *>(y), planes, H, W, oh,
                                                     ow, ay, ax, req);
  });
}

void BilinearResizeGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t oh,
                        int64_t ow, const ResizeAxis &ay, const ResizeAxis &ax, int req, cudaStream_t s) {
  const int64_t n = planes * H * W;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ResizeGradK<T>)(static_cast<const T *>(dy), static_cast<T *>(dx), planes, H,
                                                         W, oh, ow, ay, ax, req);
  });
}

}  // namespace cuda
}  // namespace mxc
