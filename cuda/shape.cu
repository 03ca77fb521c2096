// Layout (gather/scatter through strided views), broadcasting, reduction and softmax-gradient kernels.
#include <cmath>

#include "common.cuh"
#include "functors.cuh"
#include "kernels_shape.cuh"

namespace mxc {
namespace cuda {

namespace {

// Offset of row-major element i of a (shape, stride) layout of n axes.
__device__ __forceinline__ int64_t OffsetOf(int64_t i, int n, const int64_t *shape, const int64_t *stride) {
  int64_t off = 0;
  for (int k = n - 1; k >= 0; --k) {
    int64_t d = shape[k];
    off += (i % d) * stride[k];
    i /= d;
  }
  return off;
}

// Element types by size, for copies that do not look at values.
#define MXC_SIZE_SWITCH(dtype, T, ...)                            \
  switch (dtype) {                                                \
    case kF64: case kI64: { typedef uint64_t T; __VA_ARGS__; } break; \
    case kF32: case kI32: { typedef uint32_t T; __VA_ARGS__; } break; \
    case kF16: { typedef uint16_t T; __VA_ARGS__; } break;        \
    default: { typedef uint8_t T; __VA_ARGS__; } break;           \
  }

// Copies: by element size when they write (any dtype), as float/double when they add.
#define MXC_COPY_SWITCH(dtype, req, T, ...)                       \
  if (req == 3) {                                                 \
    MXC_CUDA_REAL_SWITCH(dtype, T, __VA_ARGS__);                  \
  } else {                                                        \
    MXC_SIZE_SWITCH(dtype, T, __VA_ARGS__);                       \
  }

// ------------------------------------------------------------------------------------------------ gather/scatter
template <typename T>
__global__ void GatherK(const T *src, View v, T *dst, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T x = src[v.offset + OffsetOf(i, v.n, v.shape, v.stride)];
    if (req == 3) dst[i] += x;
    else dst[i] = x;
  }
}
template <typename T>
__global__ void ScatterK(const T *small, View v, T *big, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T *b = big + v.offset + OffsetOf(i, v.n, v.shape, v.stride);
    if (req == 3) *b += small[i];
    else *b = small[i];
  }
}

// ------------------------------------------------------------------------------------------------ reductions
__device__ __forceinline__ double RedInit(int kind) {
  switch (kind) {
    case kRedProd: case kRedNonzeroProd: return 1.0;
    case kRedMax: return -INFINITY;
    case kRedMin: return INFINITY;
    default: return 0.0;
  }
}
// Adds x to a; also merges two partial results (every kind here merges like it adds, except the counts and the
// squares, handled by `merge`).
__device__ __forceinline__ double RedAdd(int kind, double a, double x) {
  switch (kind) {
    case kRedSum: return a + x;
    case kRedProd: return a * x;
    case kRedMax: return (x > a || x != x) ? x : a;  // NaN propagates
    case kRedMin: return (x < a || x != x) ? x : a;
    case kRedSqSum: return a + x * x;
    case kRedAbsSum: return a + (x < 0 ? -x : x);
    case kRedNonzeroProd: return x != 0.0 ? a * x : a;
    case kRedZeroCount: return a + (x == 0.0 ? 1.0 : 0.0);
  }
  return a;
}
__device__ __forceinline__ double RedMerge(int kind, double a, double b) {
  switch (kind) {
    case kRedProd: case kRedNonzeroProd: return a * b;
    case kRedMax: case kRedMin: return RedAdd(kind, a, b);
    default: return a + b;
  }
}
// Integer reductions (sum, prod, max, min) accumulate in int64 as the CPU does, wrapping around on overflow.
template <typename A>
__device__ __forceinline__ A RedInitOf(int kind) {
  return RedInit(kind);
}
template <>
__device__ __forceinline__ long long RedInitOf<long long>(int kind) {
  switch (kind) {
    case kRedProd: return 1;
    case kRedMax: return -9223372036854775807LL - 1;
    case kRedMin: return 9223372036854775807LL;
    default: return 0;
  }
}
__device__ __forceinline__ long long RedAdd(int kind, long long a, long long x) {
  typedef unsigned long long U;
  switch (kind) {
    case kRedSum: return static_cast<long long>(U(a) + U(x));
    case kRedProd: return static_cast<long long>(U(a) * U(x));
    case kRedMax: return x > a ? x : a;
    case kRedMin: return x < a ? x : a;
  }
  return a;
}
__device__ __forceinline__ long long RedMerge(int kind, long long a, long long b) { return RedAdd(kind, a, b); }
__device__ __forceinline__ int64_t KeptBase(const RedView &r, int64_t j) {
  return OffsetOf(j, r.nk, r.kdim, r.kstride);
}
template <typename TO>
__device__ __forceinline__ void RedStore(TO *out, int64_t j, double acc, double scale, bool sqrt_out, long long,
                                         int req) {
  double v = acc * scale;
  if (sqrt_out) v = sqrt(v);
  Store(out + j, req, static_cast<TO>(v));
}
// Integers: the accumulator divided by div (a mean; truncated toward zero, 0 when div is 0).
template <typename TO>
__device__ __forceinline__ void RedStore(TO *out, int64_t j, long long acc, double, bool, long long div, int req) {
  Store(out + j, req, static_cast<TO>(div == 1 ? acc : div == 0 ? 0 : acc / div));
}

// One thread per output (short reductions).
template <typename TI, typename TO, typename A>
__global__ void ReduceThreadK(int kind, const TI *in, RedView r, TO *out, double scale, bool sqrt_out, long long div,
                              int req) {
  MXC_CUDA_LOOP(j, r.out_size) {
    const TI *base = in + KeptBase(r, j);
    A acc = RedInitOf<A>(kind);
    for (int64_t t = 0; t < r.red_size; ++t)
      acc = RedAdd(kind, acc, static_cast<A>(base[OffsetOf(t, r.nr, r.rdim, r.rstride)]));
    RedStore(out, j, acc, scale, sqrt_out, div, req);
  }
}
// One block per output (long reductions): strided partial results, then a tree in shared memory.
template <typename TI, typename TO, typename A>
__global__ void ReduceBlockK(int kind, const TI *in, RedView r, TO *out, double scale, bool sqrt_out, long long div,
                             int req) {
  __shared__ A part[kThreads];
  for (int64_t j = blockIdx.x; j < r.out_size; j += gridDim.x) {
    const TI *base = in + KeptBase(r, j);
    A acc = RedInitOf<A>(kind);
    for (int64_t t = threadIdx.x; t < r.red_size; t += blockDim.x)
      acc = RedAdd(kind, acc, static_cast<A>(base[OffsetOf(t, r.nr, r.rdim, r.rstride)]));
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w >>= 1) {
      if (threadIdx.x < w) part[threadIdx.x] = RedMerge(kind, part[threadIdx.x], part[threadIdx.x + w]);
      __syncthreads();
    }
    if (threadIdx.x == 0) RedStore(out, j, part[0], scale, sqrt_out, div, req);
    __syncthreads();
  }
}

template <typename T>
__global__ void ReduceBackK(int kind, const T *g, const T *x, const T *y, const double *nzp, const double *zc,
                            BackView v, T *ig, int64_t n, double scale, int req) {
  MXC_CUDA_LOOP(i, n) {
    const int64_t o = OffsetOf(i, v.n, v.dim, v.ostride);
    const double go = static_cast<double>(g[o]);
    double r = 0;
    switch (kind) {
      case kBackScale: r = go * scale; break;
      case kBackEqual: r = x[i] == y[o] ? go : 0.0; break;
      case kBackNorm1: r = x[i] > T(0) ? go : (x[i] < T(0) ? -go : 0.0); break;
      case kBackNorm2: {
        double yo = static_cast<double>(y[o]);
        r = yo == 0.0 ? 0.0 : go * static_cast<double>(x[i]) / yo;
        break;
      }
      case kBackProd: {
        double xi = static_cast<double>(x[i]), d;
        if (zc[o] == 0.0) d = nzp[o] / xi;
        else if (zc[o] == 1.0 && xi == 0.0) d = nzp[o];
        else d = 0.0;
        r = go * d;
        break;
      }
    }
    Store(ig + i, req, static_cast<T>(r));
  }
}

// ------------------------------------------------------------------------------------------------ broadcasting
template <typename T>
__global__ void BroadcastBinK(int c, const T *a, const T *b, BinView v, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    Store(out + i, req, BinAny(c, a[OffsetOf(i, v.n, v.shape, v.astride)], b[OffsetOf(i, v.n, v.shape, v.bstride)]));
  }
}
template <typename T>
__global__ void BroadcastDerivK(int c, int side, const T *g, const T *a, const T *b, BinView v, T *d, int64_t n,
                                int req) {
  MXC_CUDA_LOOP(i, n) {
    T ai = a ? a[OffsetOf(i, v.n, v.shape, v.astride)] : T(0);
    T bi = b ? b[OffsetOf(i, v.n, v.shape, v.bstride)] : T(0);
    Store(d + i, req, g[i] * (side == 0 ? BinDL(c, ai, bi) : BinDR(c, ai, bi)));
  }
}

// ------------------------------------------------------------------------------------------------ softmax grad
template <typename T>
__global__ void SoftmaxGradK(const T *dy, const T *y, T *dx, int64_t outer, int64_t n, int64_t inner, double inv_t,
                             bool lg, int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    double acc = 0;
    if (lg) {
      for (int64_t j = 0; j < n; ++j) acc += static_cast<double>(dy[base + j * inner]);
      for (int64_t j = 0; j < n; ++j) {
        const int64_t k = base + j * inner;
        Store(dx + k, req, static_cast<T>((static_cast<double>(dy[k]) - exp(static_cast<double>(y[k])) * acc) * inv_t));
      }
    } else {
      for (int64_t j = 0; j < n; ++j) acc += static_cast<double>(dy[base + j * inner]) * static_cast<double>(y[base + j * inner]);
      for (int64_t j = 0; j < n; ++j) {
        const int64_t k = base + j * inner;
        Store(dx + k, req, static_cast<T>(static_cast<double>(y[k]) * (static_cast<double>(dy[k]) - acc) * inv_t));
      }
    }
  }
}

}  // namespace

void Gather(int dtype, const void *src, const View &v, void *dst, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_COPY_SWITCH(dtype, req, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, GatherK<T>)(static_cast<const T *>(src), v, static_cast<T *>(dst), n, req);
  });
}

void Scatter(int dtype, const void *small, const View &v, void *big, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_COPY_SWITCH(dtype, req, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ScatterK<T>)(static_cast<const T *>(small), v, static_cast<T *>(big), n, req);
  });
}

// Launches a reduction with accumulator A: a block per output for long reductions, else a thread per output.
template <typename TI, typename TO, typename A>
void LaunchReduce(int kind, const TI *in, const RedView &r, TO *out, double scale, bool sqrt_out, long long div,
                  int req, cudaStream_t s) {
  if (r.red_size >= 256) {
    int grid = static_cast<int>(r.out_size < 65535 * 8 ? r.out_size : 65535 * 8);
    MXC_LAUNCH_BLOCK(grid, kThreads, 0, s, ReduceBlockK<TI, TO, A>)(kind, in, r, out, scale, sqrt_out, div, req);
  } else {
    MXC_LAUNCH(Blocks(r.out_size), kThreads, 0, s, ReduceThreadK<TI, TO, A>)(kind, in, r, out, scale, sqrt_out, div,
                                                                             req);
  }
}

void Reduce(int kind, int in_dtype, const void *in, const RedView &r, int out_dtype, void *out, double scale,
            bool sqrt_out, int req, cudaStream_t s) {
  if (r.out_size == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(in_dtype, TI, {
    MXC_CUDA_REAL_SWITCH(out_dtype, TO, {
      LaunchReduce<TI, TO, double>(kind, static_cast<const TI *>(in), r, static_cast<TO *>(out), scale, sqrt_out, 1,
                                   req, s);
    });
  });
}

void ReduceInt(int kind, int dtype, const void *in, const RedView &r, void *out, int64_t div, int req,
               cudaStream_t s) {
  if (r.out_size == 0 || req == 0) return;
  MXC_CUDA_INT_SWITCH(dtype, T, {
    LaunchReduce<T, T, long long>(kind, static_cast<const T *>(in), r, static_cast<T *>(out), 1.0, false, div, req,
                                  s);
  });
}

void ReduceBackward(int kind, int dtype, const void *g, const void *x, const void *y, const double *nzp,
                    const double *zc, const BackView &v, void *ig, int64_t n, double scale, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ReduceBackK<T>)(kind, static_cast<const T *>(g), static_cast<const T *>(x),
                                                          static_cast<const T *>(y), nzp, zc, v, static_cast<T *>(ig),
                                                          n, scale, req);
  });
}

void BroadcastBinary(int code, int dtype, const void *a, const void *b, const BinView &v, void *out, int64_t n,
                     int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, BroadcastBinK<T>)(code, static_cast<const T *>(a), static_cast<const T *>(b),
                                                            v, static_cast<T *>(out), n, req);
  });
}

void BroadcastBinaryDeriv(int code, int side, int dtype, const void *g, const void *a, const void *b,
                          const BinView &v, void *d, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, BroadcastDerivK<T>)(code, side, static_cast<const T *>(g),
                                                              static_cast<const T *>(a), static_cast<const T *>(b), v,
                                                              static_cast<T *>(d), n, req);
  });
}

void SoftmaxGrad(int dtype, const void *dy, const void *y, void *dx, int64_t outer, int64_t n, int64_t inner,
                 double temperature, bool log, int req, cudaStream_t s) {
  if (outer * n * inner == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, SoftmaxGradK<T>)(static_cast<const T *>(dy),
                                                                       static_cast<const T *>(y), static_cast<T *>(dx),
                                                                       outer, n, inner, 1.0 / temperature, log, req);
  });
}

}  // namespace cuda
}  // namespace mxc
