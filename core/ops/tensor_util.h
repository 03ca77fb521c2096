// Helpers shared by the tensor operators (reductions, shape and indexing operators, linear algebra):
// axis normalisation, dtype dispatch, parallel chunking, strided copies and a generic reduction over axes.
//
// Two layouts do most of the work:
//  - StridedView: the elements an output reads from a contiguous input, as (shape, stride, offset). Transpose,
//    slice, swapaxes, broadcast_to, tile and repeat are each one StridedView; their forward is Gather, the backward
//    of the injective ones (transpose, slice) is Scatter and that of the broadcasting ones a sum (SumReduce).
//  - RedLayout: a contiguous input whose axes are either kept or reduced, the output being the kept axes
//    (contiguous, in order). Adjacent axes of the same kind are merged, so inner loops run over long spans.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "op_util.h"

namespace mxc {
namespace op {

// Parameter lists of FCompute and FBackward kernels, with the names every kernel here uses.
#define MXC_FCOMPUTE_ARGS                                                                                     \
  const ::mxc::OpContext &, const ::mxc::OpParams &p, const std::vector<::mxc::TBlob> &in,                   \
      const std::vector<::mxc::OpReq> &req, const std::vector<::mxc::TBlob> &out
#define MXC_FBACKWARD_ARGS                                                                                    \
  const ::mxc::OpContext &, const ::mxc::OpParams &p, const std::vector<::mxc::TBlob> &og,                   \
      const std::vector<::mxc::TBlob> &in, const std::vector<::mxc::TBlob> &out,                              \
      const std::vector<::mxc::OpReq> &req, const std::vector<::mxc::TBlob> &ig

// ----------------------------------------------------------------------------------------------------------------
// Dispatch and checks
// ----------------------------------------------------------------------------------------------------------------

// Dtypes with arithmetic (no bool, no float16): float32, float64, uint8, int32, int8, int64.
#define MXC_ARITH_TYPE_SWITCH(code, DType, ...)                                                  \
  switch (code) {                                                                                \
    case ::mxc::kFloat32: { typedef float DType; __VA_ARGS__; } break;                           \
    case ::mxc::kFloat64: { typedef double DType; __VA_ARGS__; } break;                          \
    case ::mxc::kUint8: { typedef uint8_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kInt32: { typedef int32_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kInt8: { typedef int8_t DType; __VA_ARGS__; } break;                             \
    case ::mxc::kInt64: { typedef int64_t DType; __VA_ARGS__; } break;                           \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "dtype ", ::mxc::DTypeName(code),             \
                          " is not supported by this operation");                                \
  }

// Dispatch on element size only (copies that do not look at values: every dtype, float16 and bool included).
#define MXC_ELEM_SWITCH(dtype, T, ...)                                                           \
  switch (::mxc::DTypeSize(dtype)) {                                                             \
    case 1: { typedef uint8_t T; __VA_ARGS__; } break;                                           \
    case 2: { typedef uint16_t T; __VA_ARGS__; } break;                                          \
    case 4: { typedef uint32_t T; __VA_ARGS__; } break;                                          \
    case 8: { typedef uint64_t T; __VA_ARGS__; } break;                                          \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "unsupported element size");                  \
  }

inline bool IsArith(int dtype) {
  return dtype == kFloat32 || dtype == kFloat64 || dtype == kUint8 || dtype == kInt32 || dtype == kInt8 ||
         dtype == kInt64;
}
inline bool IsReal(int dtype) { return dtype == kFloat32 || dtype == kFloat64; }

// Throws a TypeError naming the operator and the argument unless dtype (if known) passes ok().
template <typename Pred>
inline void CheckDType(const OpParams &p, int dtype, const char *arg, Pred ok, const char *allowed) {
  if (dtype < 0) return;
  if (!ok(dtype))
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": argument '", arg, "' has dtype ", DTypeName(dtype),
          ", expected ", allowed);
}

// An axis in [-ndim, ndim) as a non-negative index; ShapeError naming the operator, the parameter and the shape.
inline int NormalizeAxis(const OpParams &p, int64_t axis, int ndim, const char *param, const TShape &shape) {
  if (axis < -ndim || axis >= ndim)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": ", param, "=", axis, " is out of range for input shape ",
          ShapeStr(shape), " (valid: ", -ndim, " to ", ndim - 1, ")");
  return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

// "(1,None,3)" for error messages.
inline std::string TupleStr(const std::vector<int64_t> &t) {
  std::string s = "(";
  for (size_t i = 0; i < t.size(); ++i) {
    if (i) s += ",";
    s += t[i] == kNoneInt ? std::string("None") : std::to_string(t[i]);
  }
  return s + (t.size() == 1 ? ",)" : ")");
}

// Input names of p's operator (for error messages).
inline std::string InputName(const OpParams &p, size_t i) {
  auto names = p.op()->InputNames(p);
  return i < names.size() ? names[i] : "input" + std::to_string(i);
}

// Stores v according to req (kWriteTo and kWriteInplace write, kAddTo adds, kNullOp skips).
template <typename T>
inline void Store(T *dst, OpReq req, T v) {
  if (req == kAddTo) *dst += v;
  else *dst = v;
}

// ----------------------------------------------------------------------------------------------------------------
// Parallel loops over chunks
// ----------------------------------------------------------------------------------------------------------------

// Number of chunks worth running in parallel for `work` elements split along a dimension of size n.
inline int64_t NumChunks(int64_t work, int64_t n) {
#ifdef _OPENMP
  if (work < kParallelGrain || n < 2) return 1;
  int64_t t = omp_get_max_threads();
  return std::max<int64_t>(1, std::min<int64_t>(n, t));
#else
  (void)work;
  (void)n;
  return 1;
#endif
}

// Runs f(begin, end) over [0, n) split into `chunks` pieces, in parallel when chunks > 1.
template <typename F>
inline void ForChunks(int64_t n, int64_t chunks, F f) {
  if (chunks <= 1) {
    f(int64_t(0), n);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
  for (int64_t c = 0; c < chunks; ++c) f(c * n / chunks, (c + 1) * n / chunks);
}

// Copies n elements with req (no-op when src == dst and req writes).
template <typename T>
inline void CopyReq(T *dst, const T *src, int64_t n, OpReq req) {
  if (req == kNullOp || n == 0) return;
  if (req == kAddTo) {
    ParallelFor(n, [&](int64_t i) { dst[i] += src[i]; });
  } else if (dst != src) {
    std::memcpy(dst, src, n * sizeof(T));
  }
}

// Copies the whole of src into dst (same size) according to req; any dtype for writes, arithmetic ones for kAddTo.
inline void CopyBlob(const TBlob &dst, const TBlob &src, OpReq req) {
  if (req == kNullOp) return;
  if (req == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(dst.dtype, DType, { CopyReq(dst.ptr<DType>(), src.ptr<DType>(), dst.Size(), req); });
  } else if (dst.dptr != src.dptr && dst.Size() > 0) {
    std::memcpy(dst.dptr, src.dptr, dst.Size() * DTypeSize(dst.dtype));
  }
}

// Sets a blob to zero when req writes (kAddTo and kNullOp leave it).
inline void ZeroIfWrite(const TBlob &b, OpReq req) {
  if (req == kNullOp || req == kAddTo || b.Size() == 0) return;
  std::memset(b.dptr, 0, b.Size() * DTypeSize(b.dtype));
}

// ----------------------------------------------------------------------------------------------------------------
// Strided views
// ----------------------------------------------------------------------------------------------------------------
constexpr int kMaxLayoutDim = 2 * kMaxDim + 2;

struct StridedView {
  int n = 0;
  int64_t shape[kMaxLayoutDim];
  int64_t stride[kMaxLayoutDim];  // in elements; 0 repeats, negative walks backwards
  int64_t offset = 0;             // element offset of the first element
  void Push(int64_t d, int64_t s) {
    if (n >= kMaxLayoutDim) Throw(ErrorKind::kInternal, "strided view has too many dimensions");
    shape[n] = d;
    stride[n] = s;
    ++n;
  }
  int64_t Size() const {
    int64_t s = 1;
    for (int i = 0; i < n; ++i) s *= shape[i];
    return s;
  }
  // Drops dimensions of size 1 and merges neighbours that walk memory as one.
  void Simplify() {
    int m = 0;
    for (int i = 0; i < n; ++i) {
      if (shape[i] == 1) continue;
      if (m > 0 && stride[m - 1] == stride[i] * shape[i]) {
        shape[m - 1] *= shape[i];
        stride[m - 1] = stride[i];
      } else {
        shape[m] = shape[i];
        stride[m] = stride[i];
        ++m;
      }
    }
    if (m == 0) {
      shape[0] = 1;
      stride[0] = 1;
      m = 1;
    }
    n = m;
  }
  // View of a contiguous array of shape s.
  static StridedView Contiguous(const TShape &s) {
    StridedView v;
    int64_t st = 1;
    v.n = s.ndim();
    for (int i = s.ndim() - 1; i >= 0; --i) {
      v.shape[i] = s[i];
      v.stride[i] = st;
      st *= s[i];
    }
    return v;
  }
};

// Calls f(src_offset, dst_offset, len, src_stride) for each innermost row of v, in dst (row-major) order; dst is
// contiguous. Rows are split over threads when the view is large.
template <typename F>
inline void ForEachStridedRow(const StridedView &v, F f) {
  const int n = v.n;
  const int64_t inner = v.shape[n - 1], istride = v.stride[n - 1];
  const int64_t total = v.Size();
  if (total == 0) return;
  const int64_t rows = total / inner;
  auto body = [&](int64_t r0, int64_t r1) {
    if (r0 >= r1) return;
    int64_t idx[kMaxLayoutDim];
    int64_t src = v.offset, rem = r0;
    for (int k = n - 2; k >= 0; --k) {
      idx[k] = rem % v.shape[k];
      rem /= v.shape[k];
      src += idx[k] * v.stride[k];
    }
    for (int64_t r = r0; r < r1; ++r) {
      f(src, r * inner, inner, istride);
      for (int k = n - 2; k >= 0; --k) {
        src += v.stride[k];
        if (++idx[k] < v.shape[k]) break;
        src -= v.stride[k] * v.shape[k];
        idx[k] = 0;
      }
    }
  };
  ForChunks(rows, NumChunks(total, rows), body);
}

// Transposing views: the innermost axis jumps through memory while another axis k walks it contiguously. Walking
// rows would read one element per cache line; tiles of 32 x 32 keep both sides in cache. Calls
// f(src_off, dst_off, ti, tj, dst_istride, src_jstride) per tile, whose element (i, j) is src[src_off + i +
// j * src_jstride] and dst[dst_off + i * dst_istride + j] (dst contiguous in v's order). Returns false (and does
// nothing) for views of another kind.
template <typename F>
inline bool ForEachTile(const StridedView &v, F f) {
  const int n = v.n;
  if (n < 2) return false;
  const int64_t sj = v.stride[n - 1];
  if (sj == 1 || sj == -1) return false;
  int k = -1;
  for (int i = n - 2; i >= 0; --i)
    if (v.stride[i] == 1) {
      k = i;
      break;
    }
  if (k < 0 || v.shape[k] < 8 || v.shape[n - 1] < 8) return false;
  int64_t dstr[kMaxLayoutDim];
  int64_t total = 1;
  for (int i = n - 1; i >= 0; --i) {
    dstr[i] = total;
    total *= v.shape[i];
  }
  constexpr int64_t kTile = 32;
  const int64_t ni = v.shape[k], nj = v.shape[n - 1], nbi = (ni + kTile - 1) / kTile;
  int od[kMaxLayoutDim];  // the other axes
  int m = 0;
  int64_t combos = 1;
  for (int i = 0; i < n - 1; ++i)
    if (i != k) {
      od[m++] = i;
      combos *= v.shape[i];
    }
  const int64_t units = combos * nbi;
  ForChunks(units, NumChunks(total, units), [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const int64_t ib = (u % nbi) * kTile, ie = std::min(ni, ib + kTile);
      int64_t so = v.offset, dof = 0, rem = u / nbi;
      for (int q = m - 1; q >= 0; --q) {
        const int d = od[q];
        const int64_t idx = rem % v.shape[d];
        rem /= v.shape[d];
        so += idx * v.stride[d];
        dof += idx * dstr[d];
      }
      for (int64_t jb = 0; jb < nj; jb += kTile)
        f(so + ib + jb * sj, dof + ib * dstr[k] + jb, ie - ib, std::min(nj, jb + kTile) - jb, dstr[k], sj);
    }
  });
  return true;
}

// dst (contiguous, v's shape) = src viewed through v, according to req.
template <typename T>
inline void GatherT(const T *src, const StridedView &v, T *dst, OpReq req) {
  bool tiled = ForEachTile(v, [&](int64_t so, int64_t doff, int64_t ti, int64_t tj, int64_t dis, int64_t sjs) {
    for (int64_t i = 0; i < ti; ++i) {
      const T *s = src + so + i;
      T *d = dst + doff + i * dis;
      if (req == kAddTo) {
        for (int64_t j = 0; j < tj; ++j) d[j] += s[j * sjs];
      } else {
        for (int64_t j = 0; j < tj; ++j) d[j] = s[j * sjs];
      }
    }
  });
  if (tiled) return;
  ForEachStridedRow(v, [&](int64_t so, int64_t doff, int64_t len, int64_t st) {
    const T *s = src + so;
    T *d = dst + doff;
    if (req == kAddTo) {
      for (int64_t j = 0; j < len; ++j) d[j] += s[j * st];
    } else if (st == 1) {
      std::memcpy(d, s, len * sizeof(T));
    } else {
      for (int64_t j = 0; j < len; ++j) d[j] = s[j * st];
    }
  });
}

inline void Gather(const TBlob &src, const StridedView &v, const TBlob &dst, OpReq req) {
  if (req == kNullOp) return;
  if (req == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(dst.dtype, T, { GatherT(src.ptr<T>(), v, dst.ptr<T>(), req); });
  } else {
    MXC_ELEM_SWITCH(dst.dtype, T, { GatherT(src.ptr<T>(), v, dst.ptr<T>(), req); });
  }
}

// The reverse of Gather for an injective view (no repeated element): big (viewed through v) receives small
// (contiguous). With a writing req every element of big outside the view is set to zero first.
inline void Scatter(const TBlob &small, const StridedView &v, const TBlob &big, OpReq req) {
  if (req == kNullOp) return;
  if (v.Size() != big.Size()) ZeroIfWrite(big, req);
  auto run = [&](auto *s0, auto *b0) {
    bool tiled = ForEachTile(v, [&](int64_t bo, int64_t so, int64_t ti, int64_t tj, int64_t sis, int64_t bjs) {
      for (int64_t j = 0; j < tj; ++j) {
        auto *b = b0 + bo + j * bjs;
        const auto *s = s0 + so + j;
        if (req == kAddTo) {
          for (int64_t i = 0; i < ti; ++i) b[i] += s[i * sis];
        } else {
          for (int64_t i = 0; i < ti; ++i) b[i] = s[i * sis];
        }
      }
    });
    if (tiled) return;
    ForEachStridedRow(v, [&](int64_t bo, int64_t so, int64_t len, int64_t st) {
      auto *b = b0 + bo;
      const auto *s = s0 + so;
      if (req == kAddTo) {
        for (int64_t j = 0; j < len; ++j) b[j * st] += s[j];
      } else {
        for (int64_t j = 0; j < len; ++j) b[j * st] = s[j];
      }
    });
  };
  if (req == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(big.dtype, T, { run(small.ptr<T>(), big.ptr<T>()); });
  } else {
    MXC_ELEM_SWITCH(big.dtype, T, { run(small.ptr<T>(), big.ptr<T>()); });
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Reductions
// ----------------------------------------------------------------------------------------------------------------
struct RedLayout {
  int n = 0;
  int64_t dim[kMaxLayoutDim];
  int64_t ostride[kMaxLayoutDim];  // stride of the axis in the output; 0 for a reduced axis
  int64_t in_size = 1, out_size = 1;
  int64_t red_size() const { return out_size == 0 ? 0 : in_size / out_size; }
};

// A contiguous input of shape[0..n) with reduce[i] marking the reduced axes.
inline RedLayout MakeRedLayout(const int64_t *shape, const bool *reduce, int n) {
  RedLayout L;
  int64_t red = 1;
  bool rk[kMaxLayoutDim];
  int m = 0;
  for (int i = 0; i < n; ++i) {
    L.in_size *= shape[i];
    if (reduce[i]) red *= shape[i];
    else L.out_size *= shape[i];
    if (shape[i] == 1) continue;
    if (m > 0 && rk[m - 1] == reduce[i]) {
      L.dim[m - 1] *= shape[i];
    } else {
      L.dim[m] = shape[i];
      rk[m] = reduce[i];
      ++m;
    }
  }
  (void)red;
  if (m == 0) {
    L.dim[0] = 1;
    rk[0] = false;
    m = 1;
  }
  L.n = m;
  int64_t s = 1;
  for (int i = m - 1; i >= 0; --i) {
    if (rk[i]) {
      L.ostride[i] = 0;
    } else {
      L.ostride[i] = s;
      s *= L.dim[i];
    }
  }
  return L;
}

inline RedLayout MakeRedLayout(const TShape &shape, const std::vector<bool> &reduce) {
  bool r[kMaxLayoutDim];
  for (int i = 0; i < shape.ndim(); ++i) r[i] = reduce[i];
  return MakeRedLayout(shape.data(), r, shape.ndim());
}

// Calls f(in_offset, out_offset, len, out_step) for each innermost run of the input whose first-axis index lies in
// [b0, e0); out_step is 0 when the run is reduced into one output element, 1 when it maps onto len outputs.
template <typename F>
inline void ForEachRun(const RedLayout &L, int64_t b0, int64_t e0, F &&f) {
  if (b0 >= e0 || L.in_size == 0) return;
  const int n = L.n;
  if (n == 1) {
    f(b0, b0 * L.ostride[0], e0 - b0, L.ostride[0]);
    return;
  }
  const int64_t inner = L.dim[n - 1], ostep = L.ostride[n - 1];
  int64_t idx[kMaxLayoutDim] = {0};
  idx[0] = b0;
  int64_t in_off = b0 * (L.in_size / L.dim[0]);
  int64_t out_off = b0 * L.ostride[0];
  while (idx[0] < e0) {
    f(in_off, out_off, inner, ostep);
    in_off += inner;
    for (int k = n - 2;; --k) {
      ++idx[k];
      out_off += L.ostride[k];
      if (k == 0 || idx[k] < L.dim[k]) break;
      out_off -= L.ostride[k] * L.dim[k];
      idx[k] = 0;
    }
  }
}

// Runs ForEachRun over the whole input, split over threads along the first axis (safe when f writes only at input
// offsets, as backward passes do).
template <typename F>
inline void ParallelRuns(const RedLayout &L, F f) {
  ForChunks(L.dim[0], NumChunks(L.in_size, L.dim[0]),
            [&](int64_t b, int64_t e) { ForEachRun(L, b, e, f); });
}

// Accumulator type of a sum-like reduction: double for floating point, int64 for integers.
template <typename D>
using AccOf = typename std::conditional<std::is_floating_point<D>::value, double, int64_t>::type;

// Reducers: Init, Add (fold one element into an accumulator) and Merge (combine two accumulators).
struct SumRed {
  template <typename A> static A Init() { return A(0); }
  template <typename A, typename D> static void Add(A &a, D x) { a += static_cast<A>(x); }
  template <typename A> static void Merge(A &a, A b) { a += b; }
};
struct ProdRed {
  template <typename A> static A Init() { return A(1); }
  template <typename A, typename D> static void Add(A &a, D x) { a *= static_cast<A>(x); }
  template <typename A> static void Merge(A &a, A b) { a *= b; }
};
struct SqSumRed {
  template <typename A> static A Init() { return A(0); }
  template <typename A, typename D> static void Add(A &a, D x) { a += static_cast<A>(x) * static_cast<A>(x); }
  template <typename A> static void Merge(A &a, A b) { a += b; }
};
struct AbsSumRed {
  template <typename A> static A Init() { return A(0); }
  template <typename A, typename D> static void Add(A &a, D x) {
    A v = static_cast<A>(x);
    a += v < A(0) ? -v : v;
  }
  template <typename A> static void Merge(A &a, A b) { a += b; }
};
// Max and min propagate NaN (the first NaN met stays).
struct MaxRed {
  template <typename A> static A Init() {
    return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::lowest();
  }
  template <typename A, typename D> static void Add(A &a, D x) {
    A v = static_cast<A>(x);
    a = ((v > a) | (v != v)) ? v : a;  // no short circuit: keeps the loop vectorisable
  }
  template <typename A> static void Merge(A &a, A b) { Add(a, b); }
};
struct MinRed {
  template <typename A> static A Init() {
    return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::max();
  }
  template <typename A, typename D> static void Add(A &a, D x) {
    A v = static_cast<A>(x);
    a = ((v < a) | (v != v)) ? v : a;
  }
  template <typename A> static void Merge(A &a, A b) { Add(a, b); }
};

// Folds p[0..len) into a through eight independent lanes (breaks the latency chain and lets the compiler use
// vector instructions; the lanes merge in a fixed order, so results do not depend on the machine).
// Max or min of floating-point p[0..len) into a, NaN propagating, with explicit vectors (GCC/Clang vector
// extensions): the compilers do not vectorise a NaN-aware select reduction on their own.
template <typename R, typename T>
inline void FoldExtremum(T &a, const T *p, int64_t len) {
  constexpr bool kMax = std::is_same<R, MaxRed>::value;
  typedef T V __attribute__((vector_size(16)));  // the SSE2 baseline width: wider ones lower to scalar code
  constexpr int kW = 16 / sizeof(T);
  V m0, m1;
  for (int l = 0; l < kW; ++l) m0[l] = R::template Init<T>();
  m1 = m0;
  V z = m0;  // a lane mask type: all ones where an element was NaN
  auto nan_seen = z != z;
  int64_t j = 0;
  for (; j + 2 * kW <= len; j += 2 * kW) {
    V x0, x1;
    std::memcpy(&x0, p + j, sizeof(V));
    std::memcpy(&x1, p + j + kW, sizeof(V));
    if (kMax) {
      m0 = x0 > m0 ? x0 : m0;
      m1 = x1 > m1 ? x1 : m1;
    } else {
      m0 = x0 < m0 ? x0 : m0;
      m1 = x1 < m1 ? x1 : m1;
    }
    nan_seen |= (x0 != x0) | (x1 != x1);
  }
  T r = a;
  bool nan = r != r;
  for (int l = 0; l < kW; ++l) {
    R::Add(r, m0[l]);
    R::Add(r, m1[l]);
    nan = nan || nan_seen[l] != 0;
  }
  for (; j < len; ++j) {
    R::Add(r, p[j]);
    nan = nan || p[j] != p[j];
  }
  a = nan ? std::numeric_limits<T>::quiet_NaN() : r;
}

template <typename R, typename A, typename D>
inline void FoldRun(A &a, const D *p, int64_t len) {
  constexpr bool kExtremum = std::is_same<R, MaxRed>::value || std::is_same<R, MinRed>::value;
  if constexpr (kExtremum && std::is_floating_point<D>::value && std::is_same<A, D>::value) {
    FoldExtremum<R>(a, p, len);
    return;
  }
  constexpr int kLanes = 8;
  if (len < 2 * kLanes) {
    for (int64_t j = 0; j < len; ++j) R::Add(a, p[j]);
    return;
  }
  A s[kLanes];
  for (int l = 0; l < kLanes; ++l) s[l] = R::template Init<A>();
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int l = 0; l < kLanes; ++l) R::Add(s[l], p[j + l]);
  for (; j < len; ++j) R::Add(s[0], p[j]);
  for (int l = 1; l < kLanes; ++l) R::Merge(s[0], s[l]);
  R::Merge(a, s[0]);
}

// acc[0..out_size) = reduction R of in (laid out as L), in parallel for large inputs.
template <typename R, typename D, typename A>
inline void ReduceToAcc(const D *in, const RedLayout &L, A *acc) {
  const A init = R::template Init<A>();
  std::fill(acc, acc + L.out_size, init);
  if (L.in_size == 0) return;
  auto body = [&](A *dst, int64_t b0, int64_t e0) {
    RunIsa<D>(L.in_size, [&] {
      ForEachRun(L, b0, e0, [&](int64_t ioff, int64_t ooff, int64_t len, int64_t ostep) {
        const D *p = in + ioff;
        if (ostep == 0) {
          A a = dst[ooff];
          FoldRun<R>(a, p, len);
          dst[ooff] = a;
        } else {
          A *q = dst + ooff;
          for (int64_t j = 0; j < len; ++j) R::Add(q[j], p[j]);
        }
      });
    });
  };
  const int64_t d0 = L.dim[0];
  const int64_t chunks = NumChunks(L.in_size, d0);
  if (chunks <= 1) {
    body(acc, 0, d0);
  } else if (L.ostride[0] != 0) {
    // Chunks of a kept first axis write disjoint outputs.
    ForChunks(d0, chunks, [&](int64_t b, int64_t e) { body(acc, b, e); });
  } else {
    // Chunks of a reduced first axis each get their own accumulators, merged in a fixed order.
    std::vector<A> part(static_cast<size_t>((chunks - 1) * L.out_size), init);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (int64_t c = 0; c < chunks; ++c)
      body(c == 0 ? acc : part.data() + (c - 1) * L.out_size, c * d0 / chunks, (c + 1) * d0 / chunks);
    for (int64_t c = 1; c < chunks; ++c) {
      const A *q = part.data() + (c - 1) * L.out_size;
      for (int64_t o = 0; o < L.out_size; ++o) R::Merge(acc[o], q[o]);
    }
  }
}

// out = finalize(acc) according to req.
template <typename D, typename A, typename Fin>
inline void StoreAcc(D *out, const A *acc, int64_t n, OpReq req, Fin fin) {
  if (req == kNullOp) return;
  if (req == kAddTo) ParallelFor(n, [&](int64_t i) { out[i] += static_cast<D>(fin(acc[i])); });
  else ParallelFor(n, [&](int64_t i) { out[i] = static_cast<D>(fin(acc[i])); });
}

// dst (the kept axes of shape[0..n)) = sum of src (contiguous, that shape) over the axes marked in reduce, with
// req. The backward of every broadcasting operator.
inline void SumReduce(const TBlob &src, const int64_t *shape, const bool *reduce, int n, const TBlob &dst,
                      OpReq req) {
  if (req == kNullOp) return;
  RedLayout L = MakeRedLayout(shape, reduce, n);
  MXC_ARITH_TYPE_SWITCH(dst.dtype, D, {
    typedef AccOf<D> A;
    std::vector<A> acc(static_cast<size_t>(L.out_size));
    ReduceToAcc<SumRed>(src.ptr<D>(), L, acc.data());
    StoreAcc(dst.ptr<D>(), acc.data(), L.out_size, req, [](A a) { return a; });
  });
}

}  // namespace op
}  // namespace mxc
