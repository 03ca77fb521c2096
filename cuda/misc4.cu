// The kernels of kernels_misc4.cuh. fft / ifft: one thread per work element (load, DFT point, store) or per
// butterfly (one launch per radix-2 stage), through the CPU kernel's arithmetic (core/ops/fft_impl.h).
#include "common.cuh"
#include "kernels_misc4.cuh"
#include "../core/ops/fft_impl.h"

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

}  // namespace

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
