// The kernels of kernels_quant.cuh: int8 quantization. One thread per element, with the CPU kernels' arithmetic
// (core/ops/quant_impl.h), so results match the CPU bitwise; the data ranges are found by a grid of blocks and then one
// block over their partial ranges (min and max do not depend on the order).
#include "common.cuh"
#include "kernels_quant.cuh"

namespace mxc {
namespace cuda {

namespace {

// [min, max] of x[0, n) in two passes: RangePartK's blocks each reduce a grid-stride share into part[b] (min) and
// part[g + b] (max), then RangeFinalK's one block reduces those g partials; (0, 0) when there is none (n == 0, or
// float data that is all NaN: NaN fails every comparison, so it is left out). Min and max are exact and do not depend
// on the order, so the result is the CPU's.
template <typename T>
__device__ inline void BlockMinMax(T a, T b, T *lo, T *hi) {  // lo, hi: kThreads shared; the result in lo[0], hi[0]
  lo[threadIdx.x] = a, hi[threadIdx.x] = b;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (static_cast<int>(threadIdx.x) < w) {
      if (lo[threadIdx.x + w] < lo[threadIdx.x]) lo[threadIdx.x] = lo[threadIdx.x + w];
      if (hi[threadIdx.x + w] > hi[threadIdx.x]) hi[threadIdx.x] = hi[threadIdx.x + w];
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void RangePartK(const T *x, int64_t n, T init_lo, T init_hi, T *part) {
  __shared__ T lo[kThreads], hi[kThreads];
  T a = init_lo, b = init_hi;
  MXC_CUDA_LOOP(i, n) {
    const T v = x[i];
    if (v < a) a = v;
    if (v > b) b = v;
  }
  BlockMinMax(a, b, lo, hi);
  if (threadIdx.x == 0) part[blockIdx.x] = lo[0], part[gridDim.x + blockIdx.x] = hi[0];
}

template <typename T>
__global__ void RangeFinalK(const T *part, int g, T init_lo, T init_hi, T *range) {
  __shared__ T lo[kThreads], hi[kThreads];
  T a = init_lo, b = init_hi;
  for (int i = threadIdx.x; i < g; i += blockDim.x) {
    if (part[i] < a) a = part[i];
    if (part[g + i] > b) b = part[g + i];
  }
  BlockMinMax(a, b, lo, hi);
  if (threadIdx.x == 0) {
    const bool none = lo[0] > hi[0];
    range[0] = none ? T(0) : lo[0];
    range[1] = none ? T(0) : hi[0];
  }
}

// At most this many partial ranges (blocks of the first pass): enough to fill a large GPU.
constexpr int kRangeBlocks = 1024;

template <typename T>
void RangeOfData(const T *x, int64_t n, T init_lo, T init_hi, T *range, cudaStream_t s) {
  const int g = Blocks(n) < kRangeBlocks ? Blocks(n) : kRangeBlocks;
  T *part = nullptr;
  if (cudaMallocAsync(reinterpret_cast<void **>(&part), sizeof(T) * 2 * g, s) != cudaSuccess)
    return;  // no launch on a null buffer; the glue's CheckLaunch reports the allocation error
  MXC_LAUNCH_BLOCK(g, kThreads, 0, s, RangePartK<T>)(x, n, init_lo, init_hi, part);
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, RangeFinalK<T>)(part, g, init_lo, init_hi, range);
  cudaFreeAsync(part, s);
}

// The range [lo, hi] of a call and, for int32 data, the largest magnitude m32 of its input range.
__device__ inline void RangeOf(const QuantArgs &a, float *lo, float *hi, float *m32) {
  *m32 = a.int32_x ? op::QuantMaxAbs(*a.in_lo, *a.in_hi) : 0.0f;
  if (a.calib) {
    *lo = a.calib_lo, *hi = a.calib_hi;
  } else if (a.int32_x) {
    *lo = op::Int32Real(a.int_range[0], *m32), *hi = op::Int32Real(a.int_range[1], *m32);
  } else if (a.data_range) {
    *lo = a.data_range[0], *hi = a.data_range[1];
  } else {
    *lo = *a.in_lo, *hi = *a.in_hi;
  }
}

template <typename Q>
__global__ void QuantizeK(QuantArgs a) {
  float lo, hi, m32;
  RangeOf(a, &lo, &hi, &m32);
  const float s = op::QuantScale(a.r, op::QuantMaxAbs(lo, hi));
  const int qlo = a.int8 ? -128 : 0, qhi = a.int8 ? 127 : 255;
  Q *y = static_cast<Q *>(a.y);
  MXC_CUDA_LOOP(i, a.n) {
    const float v = a.int32_x ? op::Int32Real(a.int32_x[i], m32) : a.x[i];
    Store(y + i, a.req, static_cast<Q>(op::QuantizeOne(v, s, qlo, qhi)));
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    float olo, ohi;
    op::QuantOutRange(a.int8, lo, hi, &olo, &ohi);
    Store(a.out_lo, a.req_lo, olo);
    Store(a.out_hi, a.req_hi, ohi);
  }
}

template <typename Q>
__global__ void DequantizeK(const Q *q, int64_t n, const float *in_lo, const float *in_hi, float range, float *y,
                            int req) {
  const float f = op::QuantMaxAbs(*in_lo, *in_hi) / range;
  MXC_CUDA_LOOP(i, n) Store(y + i, req, static_cast<float>(q[i]) * f);
}

template <typename D>
__global__ void QuantizedFCK(QFCArgs a) {
  const float md = op::QuantMaxAbs(*a.range[0], *a.range[1]), mw = op::QuantMaxAbs(*a.range[2], *a.range[3]);
  const float f = a.bias ? op::QuantBiasFactor(a.data_int8, md, mw, op::QuantMaxAbs(*a.range[4], *a.range[5])) : 0;
  const D *x = static_cast<const D *>(a.x);
  if (a.req != 0) {
    MXC_CUDA_LOOP(e, a.rows * a.nh) {
      const int64_t r = e / a.nh, h = e % a.nh;
      int32_t acc = a.bias ? op::QuantBiasInt32(a.bias[h], f) : 0;
      for (int64_t j = 0; j < a.k; ++j)
        acc += static_cast<int32_t>(x[r * a.k + j]) * static_cast<int32_t>(a.w[h * a.k + j]);
      Store(a.y + e, a.req, acc);
    }
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    const float m = op::QuantProductRange(a.data_int8, md, mw);
    Store(a.out_lo, a.req_lo, -m);
    Store(a.out_hi, a.req_hi, m);
  }
}

template <typename T>
__global__ void QuantizedCopyK(const T *x, T *y, int64_t n, int req, const float *in_lo, const float *in_hi,
                               float *out_lo, float *out_hi, int req_lo, int req_hi) {
  if (req != 0) MXC_CUDA_LOOP(i, n) Store(y + i, req, x[i]);
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    Store(out_lo, req_lo, *in_lo);
    Store(out_hi, req_hi, *in_hi);
  }
}

template <typename D>
__global__ void QuantizedConvK(QConvGeom g, const D *x, const int8_t *w, const int8_t *bias, const float *r0,
                               const float *r1, const float *r2, const float *r3, int32_t *y, int req, float *out_lo,
                               float *out_hi, int req_lo, int req_hi) {
  if (req != 0) MXC_CUDA_LOOP(e, g.N * g.F * g.oh * g.ow) Store(y + e, req, op::QConvOutput(g, x, w, bias, e));
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    const float m = op::QuantProductRange(true, op::QuantMaxAbs(*r0, *r1), op::QuantMaxAbs(*r2, *r3));
    Store(out_lo, req_lo, -m);
    Store(out_hi, req_hi, m);
  }
}

template <typename D>
__global__ void QuantizedPoolK(QPoolGeom g, const D *x, D *y, int req) {
  MXC_CUDA_LOOP(e, g.N * g.C * g.oh * g.ow) Store(y + e, req, op::QPoolOutput(g, x, e));
}

template <typename D>
__global__ void QuantizedReluK(const D *x, D *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(y + i, req, x[i] > D(0) ? x[i] : D(0));
}

template <typename S, typename D>
__global__ void QuantizedConcatK(QConcatSlab a) {
  float lo, hi;
  op::QuantConcatRange(a.ranges, a.n, &lo, &hi);
  const float mo = op::QuantMaxAbs(lo, hi), ro = a.y_int8 ? 127.5f : 255.5f;
  const float f = op::QuantConcatFactor(op::QuantMaxAbs(a.ranges[2 * a.i], a.ranges[2 * a.i + 1]),
                                        a.x_int8 ? 127.5f : 255.5f, mo, ro);
  const bool same = a.x_int8 == a.y_int8 && f == 1.0f;
  const int qlo = a.y_int8 ? -128 : 0, qhi = a.y_int8 ? 127 : 255;
  const S *x = static_cast<const S *>(a.x);
  D *y = static_cast<D *>(a.y);
  if (a.req != 0) {
    MXC_CUDA_LOOP(e, a.outer * a.inner) {
      const int64_t o = e / a.inner, j = e % a.inner;
      const D v = same ? static_cast<D>(x[e]) : static_cast<D>(op::QuantizeOne(static_cast<float>(x[e]), f, qlo, qhi));
      Store(y + o * a.out_inner + a.off + j, a.req, v);
    }
  }
  if (a.write_range && blockIdx.x == 0 && threadIdx.x == 0) {
    Store(a.out_lo, a.req_lo, lo);
    Store(a.out_hi, a.req_hi, hi);
  }
}

}  // namespace

void QuantizedConcatSlab(const QConcatSlab &a, cudaStream_t s) {
  const int64_t n = a.outer * a.inner;
  if (a.y_int8) {
    if (a.x_int8) MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedConcatK<int8_t, int8_t>)(a);
    else MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedConcatK<uint8_t, int8_t>)(a);
  } else {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedConcatK<uint8_t, uint8_t>)(a);
  }
}

void QuantizedRelu(bool int8, const void *x, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  if (int8)
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedReluK<int8_t>)(static_cast<const int8_t *>(x),
                                                                   static_cast<int8_t *>(y), n, req);
  else
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedReluK<uint8_t>)(static_cast<const uint8_t *>(x),
                                                                    static_cast<uint8_t *>(y), n, req);
}

void QuantizedConv(const QConvGeom &g, bool data_int8, const void *x, const int8_t *w, const int8_t *bias,
                   const float *const range[4], int32_t *y, int req, float *out_lo, float *out_hi, int req_lo,
                   int req_hi, cudaStream_t s) {
  const int64_t n = g.N * g.F * g.oh * g.ow;
  if (data_int8)
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedConvK<int8_t>)(g, static_cast<const int8_t *>(x), w, bias,
                                                                   range[0], range[1], range[2], range[3], y, req,
                                                                   out_lo, out_hi, req_lo, req_hi);
  else
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedConvK<uint8_t>)(g, static_cast<const uint8_t *>(x), w, bias,
                                                                    range[0], range[1], range[2], range[3], y, req,
                                                                    out_lo, out_hi, req_lo, req_hi);
}

void QuantizedPool(const QPoolGeom &g, bool data_int8, const void *x, void *y, int req, cudaStream_t s) {
  const int64_t n = g.N * g.C * g.oh * g.ow;
  if (n == 0 || req == 0) return;
  if (data_int8)
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedPoolK<int8_t>)(g, static_cast<const int8_t *>(x),
                                                                   static_cast<int8_t *>(y), req);
  else
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedPoolK<uint8_t>)(g, static_cast<const uint8_t *>(x),
                                                                    static_cast<uint8_t *>(y), req);
}

void QuantizedFC(const QFCArgs &a, cudaStream_t s) {
  const int64_t n = a.rows * a.nh;
  if (a.data_int8) MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedFCK<int8_t>)(a);
  else MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedFCK<uint8_t>)(a);
}

void QuantizedCopy(int dtype, const void *x, void *y, int64_t n, int req, const float *in_lo, const float *in_hi,
                   float *out_lo, float *out_hi, int req_lo, int req_hi, cudaStream_t s) {
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, QuantizedCopyK<T>)(static_cast<const T *>(x), static_cast<T *>(y), n, req,
                                                             in_lo, in_hi, out_lo, out_hi, req_lo, req_hi);
  });
}

void FloatRange(const float *x, int64_t n, float *range, cudaStream_t s) {
  RangeOfData<float>(x, n, __builtin_huge_valf(), -__builtin_huge_valf(), range, s);
}

void Int32Range(const int32_t *q, int64_t n, int32_t *range, cudaStream_t s) {
  RangeOfData<int32_t>(q, n, 2147483647, -2147483647 - 1, range, s);
}

void Quantize(const QuantArgs &a, cudaStream_t s) {
  if (a.int8) MXC_LAUNCH(Blocks(a.n), kThreads, 0, s, QuantizeK<int8_t>)(a);
  else MXC_LAUNCH(Blocks(a.n), kThreads, 0, s, QuantizeK<uint8_t>)(a);
}

void Dequantize(bool int8, const void *q, int64_t n, const float *in_lo, const float *in_hi, float *y, int req,
                cudaStream_t s) {
  if (n == 0) return;
  if (int8)
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DequantizeK<int8_t>)(static_cast<const int8_t *>(q), n, in_lo, in_hi,
                                                                 127.5f, y, req);
  else
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DequantizeK<uint8_t>)(static_cast<const uint8_t *>(q), n, in_lo, in_hi,
                                                                  255.5f, y, req);
}

}  // namespace cuda
}  // namespace mxc
