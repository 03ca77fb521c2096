// The kernels of kernels_quant2.cuh. _contrib_calibrate_entropy: one thread per threshold candidate with the CPU
// kernel's arithmetic (core/ops/calib_entropy_impl.h), then one block picking the first smallest divergence, so the
// results match the CPU bitwise.
#include "common.cuh"
#include "kernels_quant2.cuh"
#include "../core/ops/calib_entropy_impl.h"
#include "../core/ops/quant2_impl.h"
#include "../core/ops/quant_impl.h"

namespace mxc {
namespace cuda {

namespace {

__global__ void CalibDivK(const float *hist, int64_t n, int nq, int64_t first, int64_t count, double *div) {
  MXC_CUDA_LOOP(c, count) { div[c] = op::CalibDivergence(hist, n, nq, first + c); }
}

// The first smallest divergence as the CPU's loop finds it (best = 0; c replaces best when div[c] < div[best]): a NaN
// at 0 is kept, other NaN never win. One block: each thread the first smallest of its stride, then a tree keeping the
// smaller value (the lower index on ties).
__global__ void CalibPickK(const double *div, int64_t count, const float *edges, int64_t n, int64_t first, float *th,
                           float *dv, int req_th, int req_dv) {
  __shared__ double val[kThreads];
  __shared__ int64_t idx[kThreads];
  double v = div[0];
  int64_t b = 0;
  if (v == v) {
    for (int64_t c = threadIdx.x; c < count; c += blockDim.x)
      if (div[c] < v) v = div[c], b = c;
  }
  val[threadIdx.x] = v, idx[threadIdx.x] = b;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (static_cast<int>(threadIdx.x) < w) {
      const double o = val[threadIdx.x + w];
      const int64_t oi = idx[threadIdx.x + w];
      if (o < val[threadIdx.x] || (o == val[threadIdx.x] && oi < idx[threadIdx.x]))
        val[threadIdx.x] = o, idx[threadIdx.x] = oi;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const int64_t best = idx[0];
    Store(th, req_th, edges[n / 2 + first + best + 1]);
    Store(dv, req_dv, op::CalibReported(div[best]));
  }
}

__device__ inline void QAddScalesOf(const QAddArgs &g, float *sa, float *sb, float *lo, float *hi) {
  const float ma = op::QuantMaxAbs(*g.range[0], *g.range[1]), mb = op::QuantMaxAbs(*g.range[2], *g.range[3]);
  op::QAddScales(ma, mb, g.a_int8 ? 127.5f : 255.5f, g.b_int8 ? 127.5f : 255.5f, g.calib, g.clo, g.chi,
                 g.y_type == 1 ? 127.5f : 255.5f, sa, sb, lo, hi);
}

template <typename A, typename B, typename O>
__global__ void QuantizedAddK(QAddArgs g, double ylo, double yhi) {
  float sa, sb, lo, hi;
  QAddScalesOf(g, &sa, &sb, &lo, &hi);
  const A *a = static_cast<const A *>(g.a);
  const B *b = static_cast<const B *>(g.b);
  O *y = static_cast<O *>(g.y);
  MXC_CUDA_LOOP(i, g.n) {
    Store(y + i, g.req,
          static_cast<O>(op::QAddOne(static_cast<float>(a[i]), static_cast<float>(b[i]), sa, sb, ylo, yhi)));
  }
}

__global__ void QAddRangeK(QAddArgs g) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  float sa, sb, lo, hi;
  QAddScalesOf(g, &sa, &sb, &lo, &hi);
  Store(g.lo_out, g.req_lo, lo);
  Store(g.hi_out, g.req_hi, hi);
}

template <typename A, typename B>
void QuantizedAddTyped(const QAddArgs &g, cudaStream_t s) {
  if (g.y_type == 0)
    MXC_LAUNCH(Blocks(g.n), kThreads, 0, s, QuantizedAddK<A, B, int32_t>)(g, -2147483648.0, 2147483647.0);
  else if (g.y_type == 1)
    MXC_LAUNCH(Blocks(g.n), kThreads, 0, s, QuantizedAddK<A, B, int8_t>)(g, -128.0, 127.0);
  else
    MXC_LAUNCH(Blocks(g.n), kThreads, 0, s, QuantizedAddK<A, B, uint8_t>)(g, 0.0, 255.0);
}

__device__ inline void QAsymOf(const float *range, bool calib, float clo, float chi, float *scale, float *shift) {
  op::QAsymParams(calib ? clo : range[0], calib ? chi : range[1], scale, shift);
}

__global__ void QuantizeAsymK(const float *x, int64_t n, const float *range, bool calib, float clo, float chi,
                              uint8_t *y, int req) {
  float scale, shift;
  QAsymOf(range, calib, clo, chi, &scale, &shift);
  MXC_CUDA_LOOP(i, n) { Store(y + i, req, op::QAsymOne(x[i], scale, shift)); }
}

__global__ void QuantizeAsymParamsK(const float *range, bool calib, float clo, float chi, float *scale_out,
                                    float *shift_out, int req_scale, int req_shift) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  float scale, shift;
  QAsymOf(range, calib, clo, chi, &scale, &shift);
  Store(scale_out, req_scale, scale);
  Store(shift_out, req_shift, shift);
}

struct QMulRanges {
  const float *r[4];
};

__device__ inline void QMulMax(const QMulRanges &g, float *ma, float *mb) {
  *ma = op::QuantMaxAbs(*g.r[0], *g.r[1]);
  *mb = op::QuantMaxAbs(*g.r[2], *g.r[3]);
}

__global__ void QMulInt32K(const int8_t *a, const int8_t *b, int32_t *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) { Store(y + i, req, static_cast<int32_t>(a[i]) * b[i]); }
}

__global__ void QMulFloatK(QMulRanges g, const int8_t *a, const int8_t *b, float *y, int64_t n, int req) {
  float ma, mb;
  QMulMax(g, &ma, &mb);
  const float sc = op::QMulInvScale(ma, mb);
  MXC_CUDA_LOOP(i, n) { Store(y + i, req, op::Q2Mul(static_cast<float>(static_cast<int32_t>(a[i]) * b[i]), sc)); }
}

__global__ void QMulInt8K(QMulRanges g, float mc, const int8_t *a, const int8_t *b, int8_t *y, int64_t n, int req) {
  float ma, mb;
  QMulMax(g, &ma, &mb);
  const float sc = op::QMulCalibScale(ma, mb, mc);
  MXC_CUDA_LOOP(i, n) { Store(y + i, req, op::QMulInt8(static_cast<int32_t>(a[i]) * b[i], sc)); }
}

__global__ void QMulRangeK(QMulRanges g, bool calib, float clo, float chi, float *lo_out, float *hi_out, int req_lo,
                           int req_hi) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  float ma, mb;
  QMulMax(g, &ma, &mb);
  const float hi = calib ? chi : op::QMulInt32Range(ma, mb), lo = calib ? clo : -hi;
  Store(lo_out, req_lo, lo);
  Store(hi_out, req_hi, hi);
}

template <typename T>
__global__ void QEmbK(const T *d, int64_t n, const int8_t *w, int64_t rows, int64_t cols, int8_t *y, int req) {
  MXC_CUDA_LOOP(i, n * cols) {
    const int64_t r = op::QEmbIndex(static_cast<double>(d[i / cols]), rows);
    Store(y + i, req, w[r * cols + i % cols]);
  }
}

__global__ void CopyRangeK(const float *lo, const float *hi, float *lo_out, float *hi_out, int req_lo, int req_hi) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  Store(lo_out, req_lo, *lo);
  Store(hi_out, req_hi, *hi);
}

}  // namespace

void QuantizedEmbedding(int d_type, const void *d, int64_t n, const int8_t *w, int64_t rows, int64_t cols, int8_t *y,
                        int req, const float *w_lo, const float *w_hi, float *lo_out, float *hi_out, int req_lo,
                        int req_hi, cudaStream_t s) {
  if (n * cols > 0 && req != 0) {
    MXC_CUDA_NUMERIC_SWITCH(d_type, T, {
      MXC_LAUNCH(Blocks(n * cols), kThreads, 0, s, QEmbK<T>)(static_cast<const T *>(d), n, w, rows, cols, y, req);
    });
  }
  MXC_LAUNCH(1, 1, 0, s, CopyRangeK)(w_lo, w_hi, lo_out, hi_out, req_lo, req_hi);
}

void QuantizedMul(int mode, const int8_t *a, const int8_t *b, const float *const range[4], float clo, float chi,
                  void *y, int64_t n, int req, float *lo_out, float *hi_out, int req_lo, int req_hi, cudaStream_t s) {
  QMulRanges g;
  for (int k = 0; k < 4; ++k) g.r[k] = range[k];
  if (n > 0 && req != 0) {
    if (mode == 0) MXC_LAUNCH(Blocks(n), kThreads, 0, s, QMulInt32K)(a, b, static_cast<int32_t *>(y), n, req);
    else if (mode == 1) MXC_LAUNCH(Blocks(n), kThreads, 0, s, QMulFloatK)(g, a, b, static_cast<float *>(y), n, req);
    else
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, QMulInt8K)(g, op::QuantMaxAbs(clo, chi), a, b, static_cast<int8_t *>(y), n,
                                                       req);
  }
  if (mode != 1) MXC_LAUNCH(1, 1, 0, s, QMulRangeK)(g, mode == 2, clo, chi, lo_out, hi_out, req_lo, req_hi);
}

void QuantizeAsym(const float *x, int64_t n, const float *range, bool calib, float clo, float chi, uint8_t *y, int req,
                  float *scale, float *shift, int req_scale, int req_shift, cudaStream_t s) {
  if (n > 0 && req != 0) MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizeAsymK)(x, n, range, calib, clo, chi, y, req);
  MXC_LAUNCH(1, 1, 0, s, QuantizeAsymParamsK)(range, calib, clo, chi, scale, shift, req_scale, req_shift);
}

void QuantizedAdd(const QAddArgs &g, cudaStream_t s) {
  if (g.n > 0 && g.req != 0) {
    if (g.a_int8 && g.b_int8) QuantizedAddTyped<int8_t, int8_t>(g, s);
    else if (g.a_int8) QuantizedAddTyped<int8_t, uint8_t>(g, s);
    else if (g.b_int8) QuantizedAddTyped<uint8_t, int8_t>(g, s);
    else QuantizedAddTyped<uint8_t, uint8_t>(g, s);
  }
  MXC_LAUNCH(1, 1, 0, s, QAddRangeK)(g);
}

void CalibrateEntropy(const float *hist, const float *edges, int64_t n, int nq, int64_t first, int64_t count,
                      double *div, float *th, float *dv, int req_th, int req_dv, cudaStream_t s) {
  if (count <= 0) return;
  MXC_LAUNCH(Blocks(count), kThreads, 0, s, CalibDivK)(hist, n, nq, first, count, div);
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, CalibPickK)(div, count, edges, n, first, th, dv, req_th, req_dv);
}

}  // namespace cuda
}  // namespace mxc
