// Indexing (take, pick, gather_nd, one_hot, where, argmax/argmin), slice assignment, clip and _arange, the remaining nn
// operators (Dropout, LeakyReLU, BatchNorm, the loss heads) and rmsprop: the kernels of kernels_index.cuh.
#include <cmath>

#include "common.cuh"
#include "functors.cuh"
#include "kernels_index.cuh"

namespace mxc {
namespace cuda {

namespace {

constexpr int64_t kInt64Min = -9223372036854775807LL - 1;

// Element sizes by DTypeCode.
inline int64_t ElemSize(int dtype) {
  static const int64_t sizes[] = {4, 8, 2, 1, 4, 1, 8, 1};
  return dtype >= 0 && dtype < 8 ? sizes[dtype] : 1;
}

// Fixed-size arrays passed to kernels by value.
struct Dims {
  int64_t v[kIndexMaxDim];
};

}  // namespace

// ------------------------------------------------------------------------------------------------- index reading
// An index as the CPU reads it: floating point truncated toward zero, NaN and values beyond int64 -> INT64_MIN.
__device__ __forceinline__ int64_t FloatIndex(double d) {
  return (d > -9.2e18 && d < 9.2e18) ? static_cast<int64_t>(d) : kInt64Min;
}
__device__ __forceinline__ int64_t IndexAt(int t, const void *p, int64_t i) {
  switch (t) {
    case kF32: return FloatIndex(static_cast<const float *>(p)[i]);
    case kF64: return FloatIndex(static_cast<const double *>(p)[i]);
    case kU8: return static_cast<const uint8_t *>(p)[i];
    case kI32: return static_cast<const int32_t *>(p)[i];
    case kI8: return static_cast<const int8_t *>(p)[i];
    case kI64: return static_cast<const int64_t *>(p)[i];
    case kBool: return static_cast<const bool *>(p)[i] ? 1 : 0;
  }
  return kInt64Min;
}
// A condition element != 0 (NaN counts as true).
__device__ __forceinline__ bool NonZeroAt(int t, const void *p, int64_t i) {
  switch (t) {
    case kF32: return static_cast<const float *>(p)[i] != 0.f;
    case kF64: return static_cast<const double *>(p)[i] != 0.0;
    case kU8: return static_cast<const uint8_t *>(p)[i] != 0;
    case kI32: return static_cast<const int32_t *>(p)[i] != 0;
    case kI8: return static_cast<const int8_t *>(p)[i] != 0;
    case kI64: return static_cast<const int64_t *>(p)[i] != 0;
    case kBool: return static_cast<const bool *>(p)[i];
  }
  return false;
}

__global__ void ResolveIndicesK(int t, const void *idx, int64_t count, int64_t n, int mode, int64_t *out,
                                unsigned long long *first_bad) {
  MXC_CUDA_LOOP(i, count) {
    int64_t j = IndexAt(t, idx, i);
    if (j < 0 || j >= n) {
      if (first_bad) atomicMin(first_bad, static_cast<unsigned long long>(i));
      if (mode == kIndexWrap) j = ((j % n) + n) % n;
      else j = j < 0 ? 0 : n - 1;
    }
    out[i] = j;
  }
}
void ResolveIndices(int idx_dtype, const void *idx, int64_t count, int64_t n, int mode, int64_t *out,
                    unsigned long long *first_bad, cudaStream_t s) {
  if (first_bad) cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), s);
  if (count == 0 || n <= 0) return;
  MXC_LAUNCH(Blocks(count), kThreads, 0, s, ResolveIndicesK)(idx_dtype, idx, count, n, mode, out, first_bad);
}

__global__ void GatherNdRowsK(int t, const void *idx, int64_t M, int64_t Y, Dims dims, int64_t *rows,
                              unsigned long long *first_bad) {
  MXC_CUDA_LOOP(y, Y) {
    int64_t r = 0;
    bool ok = true;
    for (int64_t k = 0; k < M && ok; ++k) {
      int64_t j = IndexAt(t, idx, k * Y + y), n = dims.v[k];
      if (j < 0 && j != kInt64Min) j += n;
      ok = j >= 0 && j < n;
      r = r * n + j;
    }
    if (!ok) atomicMin(first_bad, static_cast<unsigned long long>(y));
    rows[y] = ok ? r : 0;
  }
}
void GatherNdRows(int idx_dtype, const void *idx, int64_t M, int64_t Y, const int64_t *dims, int64_t *rows,
                  unsigned long long *first_bad, cudaStream_t s) {
  cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), s);
  if (Y == 0) return;
  Dims d{};
  for (int64_t k = 0; k < M && k < kIndexMaxDim; ++k) d.v[k] = dims[k];
  MXC_LAUNCH(Blocks(Y), kThreads, 0, s, GatherNdRowsK)(idx_dtype, idx, M, Y, d, rows, first_bad);
}

// ------------------------------------------------------------------------------------------------- gather / scatter
template <typename T>
__global__ void GatherRowsK(const T *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, int64_t K,
                            T *out, int req) {
  MXC_CUDA_LOOP(e, outer * K * inner) {
    int64_t j = e % inner, r = e / inner, k = r % K, o = r / K;
    Store(out + e, req, data[(o * n + rows[k]) * inner + j]);
  }
}
template <typename T>
__global__ void ScatterAddRowsK(const T *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, int64_t K,
                                T *grad) {
  MXC_CUDA_LOOP(e, outer * K * inner) {
    int64_t j = e % inner, r = e / inner, k = r % K, o = r / K;
    atomicAdd(grad + (o * n + rows[k]) * inner + j, og[e]);
  }
}
void GatherRows(int dtype, const void *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, int64_t K,
                void *out, int req, cudaStream_t s) {
  const int64_t total = outer * K * inner;
  if (total == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, GatherRowsK<T>)(static_cast<const T *>(data), rows, outer, n, inner, K,
                                                              static_cast<T *>(out), req);
  });
}
void ScatterAddRows(int dtype, const void *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner,
                    int64_t K, void *grad, int req, cudaStream_t s) {
  if (req == 0) return;
  if (req != 3) cudaMemsetAsync(grad, 0, outer * n * inner * ElemSize(dtype), s);
  const int64_t total = outer * K * inner;
  if (total == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, ScatterAddRowsK<T>)(static_cast<const T *>(og), rows, outer, n, inner,
                                                                  K, static_cast<T *>(grad));
  });
}

// ------------------------------------------------------------------------------------------------- pick
template <typename T>
__global__ void PickK(const T *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, T *out, int req) {
  MXC_CUDA_LOOP(r, outer * inner) Store(out + r, req, data[((r / inner) * n + rows[r]) * inner + r % inner]);
}
// Every (o, i) adds into its own element: no atomics needed.
template <typename T>
__global__ void PickGradK(const T *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, T *grad) {
  MXC_CUDA_LOOP(r, outer * inner) grad[((r / inner) * n + rows[r]) * inner + r % inner] += og[r];
}
void Pick(int dtype, const void *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, void *out,
          int req, cudaStream_t s) {
  if (outer * inner == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, PickK<T>)(static_cast<const T *>(data), rows, outer, n, inner,
                                                                static_cast<T *>(out), req);
  });
}
void PickGrad(int dtype, const void *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, void *grad,
              int req, cudaStream_t s) {
  if (req == 0) return;
  if (req != 3) cudaMemsetAsync(grad, 0, outer * n * inner * ElemSize(dtype), s);
  if (outer * inner == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, PickGradK<T>)(static_cast<const T *>(og), rows, outer, n, inner,
                                                                    static_cast<T *>(grad));
  });
}

// ------------------------------------------------------------------------------------------------- one_hot, where
template <typename T>
__global__ void OneHotK(int t, const void *idx, int64_t count, int64_t depth, T on, T off, T *out, int req) {
  MXC_CUDA_LOOP(e, count * depth) Store(out + e, req, IndexAt(t, idx, e / depth) == e % depth ? on : off);
}
void OneHot(int dtype, int idx_dtype, const void *idx, int64_t count, int64_t depth, double on, double off, void *out,
            int req, cudaStream_t s) {
  if (count * depth == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(count * depth), kThreads, 0, s, OneHotK<T>)(idx_dtype, idx, count, depth, static_cast<T>(on),
                                                                  static_cast<T>(off), static_cast<T *>(out), req);
  });
}

template <typename T>
__global__ void WhereK(int ct, const void *cond, int64_t per, const T *x, const T *y, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(out + i, req, NonZeroAt(ct, cond, i / per) ? x[i] : y[i]);
}
template <typename T>
__global__ void WhereGradK(int ct, const void *cond, int64_t per, const T *g, T *gx, int rx, T *gy, int ry,
                           int64_t n) {
  MXC_CUDA_LOOP(i, n) {
    const bool c = NonZeroAt(ct, cond, i / per);
    const T gi = g[i];
    if (rx) Store(gx + i, rx, c ? gi : T(0));
    if (ry) Store(gy + i, ry, c ? T(0) : gi);
  }
}
void Where(int dtype, int cond_dtype, const void *cond, int64_t per, const void *x, const void *y, void *out,
           int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, WhereK<T>)(cond_dtype, cond, per, static_cast<const T *>(x),
                                                     static_cast<const T *>(y), static_cast<T *>(out), n, req);
  });
}
void WhereGrad(int dtype, int cond_dtype, const void *cond, int64_t per, const void *g, void *gx, int req_x, void *gy,
               int req_y, int64_t n, cudaStream_t s) {
  if (n == 0 || (req_x == 0 && req_y == 0)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, WhereGradK<T>)(cond_dtype, cond, per, static_cast<const T *>(g),
                                                         static_cast<T *>(gx), req_x, static_cast<T *>(gy), req_y, n);
  });
}

// ------------------------------------------------------------------------------------------------- argmax / argmin
// v beats best: strictly greater (smaller), or the first NaN.
template <typename T>
__device__ __forceinline__ bool Beats(bool is_max, T v, T best) {
  return (is_max ? v > best : v < best) || (v != v && best == best);
}

// Short or strided rows: one thread per output, scanning in order.
template <typename T>
__global__ void ArgScanK(bool is_max, const T *x, int64_t outer, int64_t n, int64_t inner, T *out, int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const T *row = x + (r / inner) * n * inner + r % inner;
    T best = row[0];
    int64_t idx = 0;
    for (int64_t k = 1; k < n; ++k) {
      T v = row[k * inner];
      if (Beats(is_max, v, best)) {
        best = v;
        idx = k;
      }
    }
    Store(out + r, req, static_cast<T>(idx));
  }
}

// Long contiguous rows (inner == 1): one block per row, each thread scanning a strided part, then a shared-memory
// tree that keeps the better value, the smaller index among equals (and among NaNs).
template <typename T>
__global__ void ArgBlockK(bool is_max, const T *x, int64_t outer, int64_t n, T *out, int req) {
  __shared__ T vals[kThreads];
  __shared__ int64_t idxs[kThreads];
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const T *row = x + o * n;
    T best = T(0);
    int64_t bi = -1;  // -1: no element seen
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
      T v = row[k];
      if (bi < 0 || Beats(is_max, v, best)) {
        best = v;
        bi = k;
      }
    }
    vals[threadIdx.x] = best;
    idxs[threadIdx.x] = bi;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w >>= 1) {
      if (threadIdx.x < w) {
        T va = vals[threadIdx.x], vb = vals[threadIdx.x + w];
        int64_t ia = idxs[threadIdx.x], ib = idxs[threadIdx.x + w];
        bool take_b = ib >= 0 && (ia < 0 || Beats(is_max, vb, va) || (!Beats(is_max, va, vb) && ib < ia));
        if (take_b) {
          vals[threadIdx.x] = vb;
          idxs[threadIdx.x] = ib;
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) Store(out + o, req, static_cast<T>(idxs[0]));
    __syncthreads();  // vals/idxs are reused by the next row
  }
}

void ArgExtreme(int dtype, bool is_max, const void *x, int64_t outer, int64_t n, int64_t inner, void *out, int req,
                cudaStream_t s) {
  if (outer * inner == 0 || n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    if (inner == 1 && n >= kThreads) {
      const unsigned grid = static_cast<unsigned>(outer < 65535 * 8 ? outer : 65535 * 8);
      MXC_LAUNCH_BLOCK(grid, kThreads, 0, s, ArgBlockK<T>)(is_max, static_cast<const T *>(x), outer, n,
                                                          static_cast<T *>(out), req);
    } else {
      MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, ArgScanK<T>)(is_max, static_cast<const T *>(x), outer, n,
                                                                     inner, static_cast<T *>(out), req);
    }
  });
}

// ------------------------------------------------------------------------------------------------- clip, unary, arange
template <typename T>
__global__ void ClipK(const T *x, T lo, T hi, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T v = x[i];
    Store(y + i, req, v < lo ? lo : (v > hi ? hi : v));
  }
}
template <typename T>
__global__ void ClipGradK(const T *g, const T *x, T lo, T hi, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, (x[i] >= lo && x[i] <= hi) ? g[i] : T(0));
}
void Clip(int dtype, const void *x, double lo, double hi, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ClipK<T>)(static_cast<const T *>(x), CvtFrom<T>::F(lo), CvtFrom<T>::F(hi),
                                                    static_cast<T *>(y), n, req);
  });
}
void ClipGrad(int dtype, const void *g, const void *x, double lo, double hi, void *gx, int64_t n, int req,
              cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ClipGradK<T>)(static_cast<const T *>(g), static_cast<const T *>(x),
                                                        static_cast<T>(lo), static_cast<T>(hi), static_cast<T *>(gx),
                                                        n, req);
  });
}

template <typename T>
__global__ void UnaryGradFromOutK(int c, const T *g, const T *y, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T yi = y[i];
    T d = c == kTan ? T(1) + yi * yi : T(1) / (T(3) * yi * yi);  // tan' = 1 + tan^2, cbrt' = 1 / (3 cbrt^2)
    Store(gx + i, req, g[i] * d);
  }
}
void UnaryGradFromOut(int code, int dtype, const void *g, const void *y, void *gx, int64_t n, int req,
                      cudaStream_t s) {
  if (n == 0 || req == 0 || (code != kTan && code != kCbrt)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, UnaryGradFromOutK<T>)(code, static_cast<const T *>(g),
                                                                static_cast<const T *>(y), static_cast<T *>(gx), n,
                                                                req);
  });
}

template <typename T>
__global__ void ArangeK(double start, double step, int64_t repeat, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(out + i, req, static_cast<T>(start + static_cast<double>(i / repeat) * step));
}
void Arange(int dtype, double start, double step, int64_t repeat, void *out, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0 || repeat <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ArangeK<T>)(start, step, repeat, static_cast<T *>(out), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- slice assignment
// Whether flat element i of the array lies in the region, and then its position in region (row-major) order.
__device__ __forceinline__ bool InRegion(const SliceRegion &r, int64_t i, int64_t *pos) {
  int64_t p = 0, mul = 1;
  for (int d = r.nd - 1; d >= 0; --d) {
    const int64_t x = i % r.shape[d];
    i /= r.shape[d];
    const int64_t j = x - r.start[d];
    if (j % r.step[d] != 0) return false;
    const int64_t k = j / r.step[d];
    if (k < 0 || k >= r.len[d]) return false;
    p += k * mul;
    mul *= r.len[d];
  }
  *pos = p;
  return true;
}

// Writing req, any dtype: moves elements as unsigned integers of their size.
template <typename U>
__global__ void SliceAssignBytesK(SliceRegion r, const U *lhs, const U *rhs, U *out, int64_t n) {
  MXC_CUDA_LOOP(i, n) {
    int64_t pos;
    out[i] = InRegion(r, i, &pos) ? rhs[pos] : lhs[i];
  }
}
template <typename T>
__global__ void SliceAssignK(SliceRegion r, const T *lhs, const T *rhs, T scalar, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    int64_t pos;
    T v = InRegion(r, i, &pos) ? (rhs ? rhs[pos] : scalar) : lhs[i];
    Store(out + i, req, v);
  }
}
template <typename T>
__global__ void SliceAssignGradK(SliceRegion r, const T *og, T *glhs, int rl, T *grhs, int rr, int64_t n) {
  MXC_CUDA_LOOP(i, n) {
    int64_t pos;
    const T g = og[i];  // read before glhs (which may be og) is written
    const bool in = InRegion(r, i, &pos);
    if (rr && in) Store(grhs + pos, rr, g);
    if (rl) Store(glhs + i, rl, in ? T(0) : g);
  }
}

void SliceAssign(int dtype, const SliceRegion &r, const void *lhs, const void *rhs, double scalar, void *out,
                 int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  if (rhs && req != 3) {
    switch (ElemSize(dtype)) {
#define MXC_SLICE_BYTES(size, U)                                                                               \
  case size:                                                                                                   \
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SliceAssignBytesK<U>)(r, static_cast<const U *>(lhs),                \
                                                                static_cast<const U *>(rhs), static_cast<U *>(out), n); \
    break;
      MXC_SLICE_BYTES(1, uint8_t)
      MXC_SLICE_BYTES(2, uint16_t)
      MXC_SLICE_BYTES(4, uint32_t)
      MXC_SLICE_BYTES(8, uint64_t)
#undef MXC_SLICE_BYTES
    }
    return;
  }
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SliceAssignK<T>)(r, static_cast<const T *>(lhs), static_cast<const T *>(rhs),
                                                           static_cast<T>(scalar), static_cast<T *>(out), n, req);
  });
}
void SliceAssignGrad(int dtype, const SliceRegion &r, const void *og, void *glhs, int req_lhs, void *grhs,
                     int req_rhs, int64_t n, cudaStream_t s) {
  if (n == 0 || (req_lhs == 0 && req_rhs == 0)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SliceAssignGradK<T>)(r, static_cast<const T *>(og), static_cast<T *>(glhs),
                                                               req_lhs, static_cast<T *>(grhs), req_rhs, n);
  });
}

// ------------------------------------------------------------------------------------------------- Dropout
template <typename T>
__global__ void DropoutMaskK(const T *draws, int nd, Dims shape, Dims rstride, double keep, T keep_value, T *mask,
                             int64_t n) {
  MXC_CUDA_LOOP(i, n) {
    int64_t r = i;
    if (nd > 0) {
      r = 0;
      int64_t rem = i;
      for (int d = nd - 1; d >= 0; --d) {
        r += (rem % shape.v[d]) * rstride.v[d];
        rem /= shape.v[d];
      }
    }
    mask[i] = static_cast<double>(draws[r]) < keep ? keep_value : T(0);
  }
}
void DropoutMask(int dtype, const void *draws, int nd, const int64_t *shape, const int64_t *rstride, double p,
                 void *mask, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  Dims sh{}, rs{};
  for (int d = 0; d < nd && d < kIndexMaxDim; ++d) {
    sh.v[d] = shape[d];
    rs.v[d] = rstride[d];
  }
  const double keep = p >= 1 ? 0.0 : 1.0 - p, keep_value = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DropoutMaskK<T>)(static_cast<const T *>(draws), nd, sh, rs, keep,
                                                           static_cast<T>(keep_value), static_cast<T *>(mask), n);
  });
}

// ------------------------------------------------------------------------------------------------- LeakyReLU
enum LeakyAct { kElu = 0, kGelu, kLeaky, kPrelu, kRrelu, kSelu };
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluLambda = 1.0507009873554804934193349852946;
constexpr double kSqrtHalf = 0.70710678118654752440;   // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

// The negative-side slope of element i: prelu's gamma of its channel, or rrelu's mask.
template <typename T>
__device__ __forceinline__ T LeakySlope(int act, int64_t i, T slope, const T *gamma, int64_t gsize, int64_t c,
                                        int64_t inner, const T *mask) {
  if (act == kPrelu) return gamma[gsize == 1 ? 0 : (i / inner) % c];
  if (act == kRrelu) return mask[i];
  return slope;
}

template <typename T>
__global__ void LeakyReluK(int act, const T *x, T slope, const T *gamma, int64_t gsize, int64_t c, int64_t inner,
                           const T *mask, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T v = x[i];
    T r;
    switch (act) {
      case kElu: r = v > T(0) ? v : slope * expm1(v); break;
      case kSelu: r = T(kSeluLambda) * (v > T(0) ? v : T(kSeluAlpha) * expm1(v)); break;
      case kGelu: r = T(0.5) * v * (T(1) + erf(v * T(kSqrtHalf))); break;
      default: r = v > T(0) ? v : LeakySlope(act, i, slope, gamma, gsize, c, inner, mask) * v; break;
    }
    Store(y + i, req, r);
  }
}
template <typename T>
__global__ void LeakyReluGradK(int act, const T *g, const T *x, T slope, const T *gamma, int64_t gsize, int64_t c,
                               int64_t inner, const T *mask, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T v = x[i], dy = g[i];
    T r;
    switch (act) {
      case kElu: r = v > T(0) ? dy : slope * exp(v) * dy; break;
      case kSelu: r = T(kSeluLambda) * (v > T(0) ? dy : T(kSeluAlpha) * exp(v) * dy); break;
      case kGelu: {
        const T cdf = T(0.5) * (T(1) + erf(v * T(kSqrtHalf)));
        const T pdf = exp(T(-0.5) * v * v) * T(kInvSqrt2Pi);
        r = dy * (cdf + v * pdf);
        break;
      }
      default: r = v > T(0) ? dy : LeakySlope(act, i, slope, gamma, gsize, c, inner, mask) * dy; break;
    }
    Store(gx + i, req, r);
  }
}
void LeakyRelu(int dtype, int act, const void *x, double slope, const void *gamma, int64_t gsize, int64_t c,
               int64_t inner, const void *mask, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LeakyReluK<T>)(act, static_cast<const T *>(x), static_cast<T>(slope),
                                                         static_cast<const T *>(gamma), gsize, c, inner,
                                                         static_cast<const T *>(mask), static_cast<T *>(y), n, req);
  });
}
void LeakyReluGrad(int dtype, int act, const void *g, const void *x, double slope, const void *gamma, int64_t gsize,
                   int64_t c, int64_t inner, const void *mask, void *gx, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LeakyReluGradK<T>)(act, static_cast<const T *>(g), static_cast<const T *>(x),
                                                             static_cast<T>(slope), static_cast<const T *>(gamma),
                                                             gsize, c, inner, static_cast<const T *>(mask),
                                                             static_cast<T *>(gx), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- channel reductions
inline unsigned ChannelGrid(int64_t C) { return static_cast<unsigned>(C < 65535 * 8 ? C : 65535 * 8); }

// One block per slope k: the sum of x * g over its elements with x <= 0 (x viewed as (outer, c, inner)).
template <typename T>
__global__ void PreluGammaGradK(const T *g, const T *x, int64_t gsize, int64_t c, int64_t inner, T *dgamma, int64_t n,
                                int req) {
  __shared__ double red[kThreads];
  const int64_t per = gsize == 1 ? n : n / gsize;  // elements of one slope
  for (int64_t k = blockIdx.x; k < gsize; k += gridDim.x) {
    double acc = 0;
    for (int64_t j = threadIdx.x; j < per; j += blockDim.x) {
      const int64_t i = gsize == 1 ? j : ((j / inner) * c + k) * inner + j % inner;
      if (!(x[i] > T(0))) acc += static_cast<double>(x[i] * g[i]);
    }
    acc = BlockSum(acc, red);
    if (threadIdx.x == 0) Store(dgamma + k, req, static_cast<T>(acc));
  }
}
void PreluGammaGrad(int dtype, const void *g, const void *x, int64_t gsize, int64_t c, int64_t inner, void *dgamma,
                    int64_t n, int req, cudaStream_t s) {
  if (gsize == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(ChannelGrid(gsize), kThreads, 0, s, PreluGammaGradK<T>)(
        static_cast<const T *>(g), static_cast<const T *>(x), gsize, c, inner, static_cast<T *>(dgamma), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- BatchNorm
// One block per channel c of x viewed as (outer, C, inner); statistics in double, as the CPU.
template <typename T>
__global__ void BatchNormK(const T *x, const T *gamma, const T *beta, T *mmean, T *mvar, T *y, T *omean, T *oinvstd,
                           int64_t outer, int64_t C, int64_t inner, double eps, double momentum, bool fix_gamma,
                           bool batch, int req) {
  __shared__ double red[kThreads];
  const int64_t m = outer * inner;
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double mean, var;
    if (batch) {
      double acc = 0;
      for (int64_t j = threadIdx.x; j < m; j += blockDim.x) acc += x[((j / inner) * C + c) * inner + j % inner];
      mean = m > 0 ? BlockSum(acc, red) / m : 0.0;
      acc = 0;
      for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
        const double d = x[((j / inner) * C + c) * inner + j % inner] - mean;
        acc += d * d;
      }
      var = m > 0 ? BlockSum(acc, red) / m : 0.0;
    } else {
      mean = mmean[c];
      var = mvar[c];
    }
    const double invstd = 1.0 / sqrt(var + eps);
    const double g = fix_gamma ? 1.0 : static_cast<double>(gamma[c]);
    const T a = static_cast<T>(g * invstd), b = static_cast<T>(beta[c] - g * invstd * mean);
    if (req)
      for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
        const int64_t e = ((j / inner) * C + c) * inner + j % inner;
        Store(y + e, req, a * x[e] + b);
      }
    if (threadIdx.x == 0) {
      if (batch) {
        mmean[c] = static_cast<T>(mmean[c] * momentum + mean * (1 - momentum));
        mvar[c] = static_cast<T>(mvar[c] * momentum + var * (1 - momentum));
      }
      omean[c] = static_cast<T>(mean);
      oinvstd[c] = static_cast<T>(invstd);
    }
  }
}

// With x_hat = (x - mean) * invstd and sums over the m elements of a channel: d beta = sum dy, d gamma = sum dy *
// x_hat; dx = gamma * invstd * (dy - d beta / m - x_hat * d gamma / m) with batch statistics, gamma * invstd * dy
// otherwise (the CPU's dx = a dy + b x + k).
template <typename T>
__global__ void BatchNormGradK(const T *dy, const T *x, const T *gamma, const T *mean, const T *invstd, T *dx, int rx,
                               T *dgamma, int rg, T *dbeta, int rb, int64_t outer, int64_t C, int64_t inner,
                               bool fix_gamma, bool batch) {
  __shared__ double red[kThreads];
  const int64_t m = outer * inner;
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    const double mu = mean[c], is = invstd[c];
    double sdy = 0, sdyx = 0;
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
      const int64_t e = ((j / inner) * C + c) * inner + j % inner;
      sdy += dy[e];
      sdyx += dy[e] * (x[e] - mu);
    }
    sdy = BlockSum(sdy, red);
    sdyx = BlockSum(sdyx, red);
    const double dg = sdyx * is;
    if (threadIdx.x == 0) {
      if (rg) Store(dgamma + c, rg, static_cast<T>(fix_gamma ? 0.0 : dg));
      if (rb) Store(dbeta + c, rb, static_cast<T>(sdy));
    }
    if (!rx) continue;
    const double g = fix_gamma ? 1.0 : static_cast<double>(gamma[c]);
    const T a = static_cast<T>(g * is);
    T b = T(0), k = T(0);
    if (batch && m > 0) {
      b = static_cast<T>(-g * is * is * dg / m);
      k = static_cast<T>(-g * is * sdy / m + g * is * is * dg * mu / m);
    }
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
      const int64_t e = ((j / inner) * C + c) * inner + j % inner;
      Store(dx + e, rx, a * dy[e] + b * x[e] + k);
    }
  }
}

void BatchNorm(int dtype, const void *x, const void *gamma, const void *beta, void *moving_mean, void *moving_var,
               void *y, void *mean, void *invstd, int64_t outer, int64_t C, int64_t inner, double eps,
               double momentum, bool fix_gamma, bool batch, int req, cudaStream_t s) {
  if (C == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(ChannelGrid(C), kThreads, 0, s, BatchNormK<T>)(
        static_cast<const T *>(x), static_cast<const T *>(gamma), static_cast<const T *>(beta),
        static_cast<T *>(moving_mean), static_cast<T *>(moving_var), static_cast<T *>(y), static_cast<T *>(mean),
        static_cast<T *>(invstd), outer, C, inner, eps, momentum, fix_gamma, batch, req);
  });
}
void BatchNormGrad(int dtype, const void *dy, const void *x, const void *gamma, const void *mean,
                   const void *invstd, void *dx, int req_x, void *dgamma, int req_gamma, void *dbeta, int req_beta,
                   int64_t outer, int64_t C, int64_t inner, bool fix_gamma, bool batch, cudaStream_t s) {
  if (C == 0 || (req_x == 0 && req_gamma == 0 && req_beta == 0)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(ChannelGrid(C), kThreads, 0, s, BatchNormGradK<T>)(
        static_cast<const T *>(dy), static_cast<const T *>(x), static_cast<const T *>(gamma),
        static_cast<const T *>(mean), static_cast<const T *>(invstd), static_cast<T *>(dx), req_x,
        static_cast<T *>(dgamma), req_gamma, static_cast<T *>(dbeta), req_beta, outer, C, inner, fix_gamma, batch);
  });
}

// ------------------------------------------------------------------------------------------------- loss heads
template <typename T>
__global__ void RegressionGradK(bool mae, const T *y, const T *label, T sc, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T d = y[i] - label[i];
    if (mae) d = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
    Store(gx + i, req, d * sc);
  }
}
void RegressionGrad(int dtype, bool mae, const void *y, const void *label, double scale, void *gx, int64_t n, int req,
                    cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RegressionGradK<T>)(mae, static_cast<const T *>(y),
                                                              static_cast<const T *>(label), static_cast<T>(scale),
                                                              static_cast<T *>(gx), n, req);
  });
}

template <typename T>
__global__ void CountAboveK(const T *y, T thresh, int64_t n, unsigned long long *cnt) {
  MXC_CUDA_LOOP(i, n) if (y[i] > thresh) atomicAdd(cnt, 1ull);
}
template <typename T>
__global__ void MakeLossGradK(double scale, const unsigned long long *valid, T *gx, int64_t n, int req) {
  double sc = scale;
  if (valid) sc /= static_cast<double>(*valid > 0 ? *valid : 1ull);
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, static_cast<T>(sc));
}
void MakeLossGrad(int dtype, const void *y, bool valid, double thresh, double scale, void *gx, int64_t n, int req,
                  cudaStream_t s) {
  if (n == 0 || req == 0) return;
  StreamCounter counter(valid, s);
  unsigned long long *cnt = counter.get();
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (valid)
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, CountAboveK<T>)(static_cast<const T *>(y), static_cast<T>(thresh), n,
                                                            cnt);
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MakeLossGradK<T>)(scale, cnt, static_cast<T *>(gx), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- rmsprop
// The CPU's ClipIf: std::max(-c, std::min(c, v)) when on.
template <typename T>
__device__ __forceinline__ T ClipIf(T v, T c, bool on) {
  if (!on) return v;
  const T lo = v < c ? v : c;
  return -c < lo ? lo : -c;
}
template <typename T>
__global__ void RMSPropK(bool alex, const T *w, const T *g, T *ns, T *gs, T *delta, T *wo, int64_t n, T lr, T wd,
                         T rescale, T clip, bool do_clip, T g1, T g2, T eps, T cw, bool do_cw, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T wi = w[i];
    const T gr = ClipIf(rescale * g[i] + wd * wi, clip, do_clip);
    const T ni = (T(1) - g1) * gr * gr + g1 * ns[i];
    ns[i] = ni;
    T r;
    if (alex) {
      const T gi = (T(1) - g1) * gr + g1 * gs[i];
      const T di = g2 * delta[i] - lr * gr / sqrt(ni - gi * gi + eps);
      gs[i] = gi;
      delta[i] = di;
      r = ClipIf(wi + di, cw, do_cw);
    } else {
      r = ClipIf(wi - lr * gr / sqrt(ni + eps), cw, do_cw);
    }
    Store(wo + i, req, r);
  }
}
void RMSPropUpdate(int dtype, bool alex, const void *w, const void *g, void *n_state, void *g_state, void *delta,
                   void *w_out, int64_t n, const RMSPropHyper &h, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;  // as the CPU: a skipped output leaves the states alone
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RMSPropK<T>)(
        alex, static_cast<const T *>(w), static_cast<const T *>(g), static_cast<T *>(n_state),
        static_cast<T *>(g_state), static_cast<T *>(delta), static_cast<T *>(w_out), n, T(h.lr), T(h.wd),
        T(h.rescale), T(h.clip), h.clip > 0, T(h.gamma1), T(h.gamma2), T(h.epsilon), T(h.clip_weights),
        h.clip_weights > 0, req);
  });
}

}  // namespace cuda
}  // namespace mxc
