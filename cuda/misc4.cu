// The kernels of kernels_misc4.cuh. fft / ifft: one thread per work element (load, DFT point, store) or per
// butterfly (one launch per radix-2 stage), through the CPU kernel's arithmetic (core/ops/fft_impl.h).
#include "common.cuh"
#include "kernels_misc4.cuh"
#include "../core/ops/fft_impl.h"
#include "../core/ops/misc_more4.h"

namespace mxc {
namespace cuda {

namespace {

template <typename T>
__global__ void FftLoadK(const T *x, double *buf, int64_t total, int64_t n, bool complex_in) {
  MXC_CUDA_LOOP(e, total) op::FftLoad(x, buf, e, n, complex_in);
}

__global__ void FftButterflyK(double *buf, int64_t total, int64_t n, int64_t half, int sign) {
  MXC_CUDA_LOOP(b, total) op::FftButterfly(buf, b, n, half, sign);
}

__global__ void FftDftK(const double *src, double *dst, int64_t total, int64_t n, int sign) {
  MXC_CUDA_LOOP(e, total) op::FftDft(src, dst, e, n, sign);
}

template <typename T>
__global__ void FftStoreK(const double *res, T *y, int64_t total, bool complex_out, int req) {
  MXC_CUDA_LOOP(e, total) {
    if (complex_out) {
      Store(y + e * 2, req, static_cast<T>(res[e * 2]));
      Store(y + e * 2 + 1, req, static_cast<T>(res[e * 2 + 1]));
    } else {
      Store(y + e, req, static_cast<T>(res[e * 2]));
    }
  }
}

template <typename T>
__global__ void VarFromInvStdK(const T *s, T *v, int64_t n, double eps, int req) {
  MXC_CUDA_LOOP(i, n) {
    const double si = static_cast<double>(s[i]);
    Store(v + i, req, static_cast<T>(1.0 / (si * si) - eps));
  }
}

template <typename T>
__global__ void InvStdFromVarK(const T *v, T *s, int64_t n, double eps) {
  MXC_CUDA_LOOP(i, n) s[i] = static_cast<T>(1.0 / sqrt(static_cast<double>(v[i]) + eps));
}

__global__ void OneHotK(const float *idx, float *y, int64_t n, int64_t k, int req) {
  MXC_CUDA_LOOP(e, n * k) Store(y + e, req, op::OneHotValue(idx[e / k], e % k, k));
}

template <typename T>
__global__ void AddCopyK(const T *a, const T *b, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T v = b ? static_cast<T>(a[i] + b[i]) : a[i];
    if (req == 3) y[i] = static_cast<T>(y[i] + v);
    else y[i] = v;
  }
}

template <typename T>
__global__ void FillK(T v, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    if (req == 3) y[i] = static_cast<T>(y[i] + v);
    else y[i] = v;
  }
}

template <typename T>
__global__ void KLAvgK(const T *x, T *avg, op::KLGeom g, double m) {
  MXC_CUDA_LOOP(c, g.C) avg[c] = static_cast<T>(op::KLMovingAvg(x, static_cast<double>(avg[c]), g, c, m));
}

template <typename T>
__global__ void KLGradK(const T *og, const T *avg, T *dx, op::KLGeom g, double t, double pen, int req) {
  MXC_CUDA_LOOP(e, g.N * g.C * g.S) {
    const double a = static_cast<double>(avg[(e / g.S) % g.C]);
    Store(dx + e, req, static_cast<T>(static_cast<double>(og[e]) + op::KLPenalty(a, t, pen)));
  }
}

// splitmix64 over a counter: the row's stream.
__device__ inline uint64_t Mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

__global__ void UniqueZipfK(int64_t r, int64_t B, int64_t S, uint64_t key, int64_t *samples, int64_t *trials) {
  MXC_CUDA_LOOP(b, B) {
    const double logr = log(static_cast<double>(r) + 1.0);
    const uint64_t base = Mix64(key ^ Mix64(static_cast<uint64_t>(b)));
    int64_t *row = samples + b * S;
    int64_t n = 0, tries = 0;
    while (n < S) {
      const uint64_t bits = Mix64(base + static_cast<uint64_t>(tries)) >> 11;  // 53 bits: u in [0, 1)
      const double u = static_cast<double>(bits) * (1.0 / 9007199254740992.0);
      const int64_t c = op::ZipfClass(u, logr, r);
      ++tries;
      bool seen = false;
      for (int64_t j = 0; j < n && !seen; ++j) seen = row[j] == c;
      if (!seen) row[n++] = c;
    }
    trials[b] = tries;
  }
}

}  // namespace

void OneHotEncode(const float *idx, float *y, int64_t n, int64_t k, int req, cudaStream_t s) {
  if (req == 0 || n * k == 0) return;
  MXC_LAUNCH(Blocks(n * k), kThreads, 0, s, OneHotK)(idx, y, n, k, req);
}

void AddCopy(int dtype, const void *a, const void *b, void *y, int64_t n, int req, cudaStream_t s) {
  if (req == 0 || n == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, AddCopyK<T>)(static_cast<const T *>(a), static_cast<const T *>(b),
                                                       static_cast<T *>(y), n, req);
  });
}

void FillValue(int dtype, double v, void *y, int64_t n, int req, cudaStream_t s) {
  if (req == 0 || n == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, FillK<T>)(static_cast<T>(v), static_cast<T *>(y), n, req);
  });
}

void KLMovingAvg(int dtype, const void *x, void *avg, int64_t N, int64_t C, int64_t S, double m, cudaStream_t s) {
  if (C == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(C), kThreads, 0, s, KLAvgK<T>)(static_cast<const T *>(x), static_cast<T *>(avg),
                                                     op::KLGeom{N, C, S}, m);
  });
}

void KLGrad(int dtype, const void *og, const void *avg, void *dx, int64_t N, int64_t C, int64_t S, double t,
            double penalty, int req, cudaStream_t s) {
  if (req == 0 || N * C * S == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * C * S), kThreads, 0, s, KLGradK<T>)(static_cast<const T *>(og), static_cast<const T *>(avg),
                                                              static_cast<T *>(dx), op::KLGeom{N, C, S}, t, penalty,
                                                              req);
  });
}

void UniqueZipfian(int64_t r, int64_t B, int64_t S, uint64_t key, int64_t *samples, int64_t *trials, cudaStream_t s) {
  if (B == 0) return;
  MXC_LAUNCH(Blocks(B), kThreads, 0, s, UniqueZipfK)(r, B, S, key, samples, trials);
}

void BNVarFromInvStd(int dtype, const void *s, void *v, int64_t n, double eps, int req, cudaStream_t st) {
  if (req == 0 || n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, st, VarFromInvStdK<T>)(static_cast<const T *>(s), static_cast<T *>(v), n, eps,
                                                              req);
  });
}

void BNInvStdFromVar(int dtype, const void *v, void *s, int64_t n, double eps, cudaStream_t st) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, st, InvStdFromVarK<T>)(static_cast<const T *>(v), static_cast<T *>(s), n, eps);
  });
}

void FftRows(int dtype, const void *x, void *y, int64_t rows, int64_t n, bool complex_in, bool complex_out, int sign,
             int req, int64_t chunk, double *work, cudaStream_t s) {
  if (req == 0 || rows == 0 || n == 0) return;
  const bool pow2 = op::FftIsPow2(n);
  const int64_t in_row = complex_in ? 2 * n : n, out_row = complex_out ? 2 * n : n;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t m = chunk < rows - r0 ? chunk : rows - r0, total = m * n;
      const T *xs = static_cast<const T *>(x) + r0 * in_row;
      T *ys = static_cast<T *>(y) + r0 * out_row;
      MXC_LAUNCH(Blocks(total), kThreads, 0, s, FftLoadK<T>)(xs, work, total, n, complex_in);
      const double *res = work;
      if (pow2) {
        for (int64_t half = 1; half < n; half *= 2)
          MXC_LAUNCH(Blocks(total / 2), kThreads, 0, s, FftButterflyK)(work, total / 2, n, half, sign);
      } else {
        double *dst = work + 2 * total;
        MXC_LAUNCH(Blocks(total), kThreads, 0, s, FftDftK)(work, dst, total, n, sign);
        res = dst;
      }
      MXC_LAUNCH(Blocks(total), kThreads, 0, s, FftStoreK<T>)(res, ys, total, complex_out, req);
    }
  });
}

}  // namespace cuda
}  // namespace mxc
