// The kernels of kernels_more.cuh: special functions, hard_sigmoid, isnan/isinf/isfinite, logical operators and
// hypot, _linspace, _eye, cumsum, NaN helpers, moments, Pad, index helpers, linalg helpers, samplers and densities.
// One thread per output element (grid-stride loops), except cumsum, moments and the density's parameter gradients:
// one thread per running sum / output / parameter, so that no result depends on the order of threads.
#include <type_traits>

#include "common.cuh"
#include "kernels_more.cuh"

namespace mxc {
namespace cuda {

#ifdef MXC_CUDA_EMULATION
using std::hypot;
using std::lgamma;
using std::tgamma;
#endif

namespace {

constexpr double kTwoOverSqrtPi = 1.1283791670955126, kPi = 3.141592653589793;

// psi(x): shifted up to x >= 6 with psi(x) = psi(x + 1) - 1 / x, then the asymptotic series; reflection for
// negative x; NaN at the poles (0, -1, -2, ...). The same method as the CPU kernel.
__device__ __forceinline__ double DigammaD(double x) {
  if (x <= 0 && x == floor(x)) return NAN;
  double acc = 0;
  if (x < 0) {  // psi(x) = psi(1 - x) - pi / tan(pi x)
    acc = -kPi / tan(kPi * x);
    x = 1 - x;
  }
  for (; x < 6; x += 1) acc -= 1 / x;
  const double r = 1 / (x * x);
  return acc + log(x) - 0.5 / x -
         r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r / 132))));
}

// erfinv: a polynomial first guess (in w = -log(1 - x^2)) refined by three Newton steps on erf(y) - x.
__device__ __forceinline__ double ErfinvD(double x) {
  if (!(x > -1 && x < 1)) return x == 1 ? INFINITY : (x == -1 ? -INFINITY : NAN);
  double w = -log((1 - x) * (1 + x)), y;
  if (w < 5) {
    w -= 2.5;
    const double c[9] = {2.81022636e-08,  3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                         -0.00125372503, -0.00417768164, 0.246640727,    1.50140941};
    y = c[0];
    for (int i = 1; i < 9; ++i) y = c[i] + y * w;
  } else {
    w = sqrt(w) - 3;
    const double c[9] = {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                         -0.0076224613,   0.00943887047,  1.00167406,    2.83297682};
    y = c[0];
    for (int i = 1; i < 9; ++i) y = c[i] + y * w;
  }
  y *= x;
  for (int i = 0; i < 3; ++i) y -= (erf(y) - x) / (kTwoOverSqrtPi * exp(-y * y));
  return y;
}

template <typename T>
__device__ __forceinline__ bool NanOf(T v) {
  if constexpr (std::is_floating_point<T>::value) return v != v;
  else return false;
}
template <typename T>
__device__ __forceinline__ bool InfOf(T v) {
  if constexpr (std::is_floating_point<T>::value) return v == T(INFINITY) || v == T(-INFINITY);
  else return false;
}

template <typename T>
__device__ __forceinline__ T MoreF(int c, T x, T a, T b) {
  switch (c) {
    case kErf: return static_cast<T>(erf(static_cast<double>(x)));
    case kErfinv: return static_cast<T>(ErfinvD(static_cast<double>(x)));
    case kGamma: return static_cast<T>(tgamma(static_cast<double>(x)));
    case kGammaln: return static_cast<T>(lgamma(static_cast<double>(x)));
    case kRcbrt: return T(1) / cbrt(x);
    case kSoftsignFn: return x / (T(1) + (x < T(0) ? -x : x));
    case kHardSigmoid: {
      const T v = a * x + b;
      return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
  }
  return x;
}
template <typename T>
__device__ __forceinline__ T MoreD(int c, T x, T y, T a, T b) {
  switch (c) {
    case kErf: return static_cast<T>(kTwoOverSqrtPi * exp(-static_cast<double>(x) * x));
    case kErfinv: return static_cast<T>(exp(static_cast<double>(y) * y) / kTwoOverSqrtPi);
    case kGamma: return static_cast<T>(y * DigammaD(static_cast<double>(x)));
    case kGammaln: return static_cast<T>(DigammaD(static_cast<double>(x)));
    case kRcbrt: return T(-1) / T(3) * y * y * y * y;
    case kSoftsignFn: {
      const T d = T(1) + (x < T(0) ? -x : x);
      return T(1) / (d * d);
    }
    case kHardSigmoid: {
      const T v = a * x + b;
      return (v > T(0) && v < T(1)) ? a : T(0);
    }
  }
  return T(0);
}

template <typename T>
__global__ void MoreUnaryK(int c, const T *x, T *y, int64_t n, T a, T b, int req) {
  MXC_CUDA_LOOP(i, n) Store(y + i, req, MoreF(c, x[i], a, b));
}
// isnan/isinf/isfinite for any numeric T.
template <typename T>
__global__ void TestK(int c, const T *x, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T v = x[i];
    const bool r = c == kIsNan ? NanOf(v) : c == kIsInf ? InfOf(v) : !(NanOf(v) || InfOf(v));
    Store(y + i, req, r ? T(1) : T(0));
  }
}
template <typename T>
__global__ void MoreUnaryGradK(int c, const T *g, const T *x, const T *y, T *gx, int64_t n, T a, T b, int req) {
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, g[i] * MoreD(c, x ? x[i] : T(0), y ? y[i] : T(0), a, b));
}

// ---- binary
template <typename T>
__device__ __forceinline__ T MoreBinF(int c, T a, T b) {
  switch (c) {
    case kLogicalAnd: return (a != T(0) && b != T(0)) ? T(1) : T(0);
    case kLogicalOr: return (a != T(0) || b != T(0)) ? T(1) : T(0);
    case kLogicalXor: return ((a != T(0)) != (b != T(0))) ? T(1) : T(0);
    case kHypot:
      if constexpr (std::is_floating_point<T>::value)
        return static_cast<T>(hypot(static_cast<double>(a), static_cast<double>(b)));
  }
  return T(0);
}

// The offsets of output element i in a and b.
__device__ __forceinline__ void BinOffsets(const BinView &v, int64_t i, int64_t *ao, int64_t *bo) {
  int64_t a = 0, b = 0;
  for (int d = v.n - 1; d >= 0; --d) {
    const int64_t c = i % v.shape[d];
    i /= v.shape[d];
    a += c * v.astride[d];
    b += c * v.bstride[d];
  }
  *ao = a;
  *bo = b;
}

template <typename T>
__global__ void MoreBinaryK(int c, const T *a, const T *b, BinView v, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    int64_t ao, bo;
    BinOffsets(v, i, &ao, &bo);
    Store(out + i, req, MoreBinF(c, a[ao], b[bo]));
  }
}
template <typename T>
__global__ void MoreScalarK(int c, const T *x, T s, T *out, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(out + i, req, MoreBinF(c, x[i], s));
}
template <typename T>
__global__ void HypotDerivK(int side, const T *g, const T *a, const T *b, BinView v, T *d, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    int64_t ao, bo;
    BinOffsets(v, i, &ao, &bo);
    const T x = a[ao], y = b[bo];
    const T h = static_cast<T>(hypot(static_cast<double>(x), static_cast<double>(y)));
    Store(d + i, req, g[i] * ((side == 0 ? x : y) / h));
  }
}

// ---- creation
template <typename T>
__global__ void LinspaceK(T *out, int64_t n, double start, double step, int req) {
  MXC_CUDA_LOOP(i, n) Store(out + i, req, static_cast<T>(start + step * static_cast<double>(i)));
}
template <typename T>
__global__ void EyeK(T *out, int64_t rows, int64_t cols, int64_t k, int req) {
  MXC_CUDA_LOOP(i, rows * cols) Store(out + i, req, (i % cols - i / cols == k) ? T(1) : T(0));
}

// ---- cumsum
template <typename I, typename O>
__global__ void CumsumK(const I *x, O *y, int64_t outer, int64_t n, int64_t inner, bool reverse, int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    O acc = O(0);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + (reverse ? n - 1 - k : k) * inner;
      acc = static_cast<O>(acc + static_cast<O>(x[i]));
      Store(y + i, req, acc);
    }
  }
}

// ---- NaN helpers
template <typename T>
__global__ void ReplaceNanK(const T *x, T *y, int64_t n, T value) {
  MXC_CUDA_LOOP(i, n) y[i] = x[i] != x[i] ? value : x[i];
}
template <typename T>
__global__ void MaskNanK(const T *src, const T *x, T *d, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(d + i, req, x[i] != x[i] ? T(0) : src[i]);
}

// ---- moments
// The input offset of reduced element j of output o.
__device__ __forceinline__ int64_t KeptOffset(const RedView &r, int64_t o) {
  int64_t off = 0;
  for (int d = r.nk - 1; d >= 0; --d) {
    off += (o % r.kdim[d]) * r.kstride[d];
    o /= r.kdim[d];
  }
  return off;
}
__device__ __forceinline__ int64_t RedOffset(const RedView &r, int64_t j) {
  int64_t off = 0;
  for (int d = r.nr - 1; d >= 0; --d) {
    off += (j % r.rdim[d]) * r.rstride[d];
    j /= r.rdim[d];
  }
  return off;
}
template <typename T>
__global__ void MomentsK(const T *x, RedView r, T *mean, int req_mean, T *var, int req_var) {
  MXC_CUDA_LOOP(o, r.out_size) {
    const T *xo = x + KeptOffset(r, o);
    double m = 0, v = 0;
    for (int64_t j = 0; j < r.red_size; ++j) m += static_cast<double>(xo[RedOffset(r, j)]);
    m /= static_cast<double>(r.red_size);
    for (int64_t j = 0; j < r.red_size; ++j) {
      const double d = static_cast<double>(xo[RedOffset(r, j)]) - m;
      v += d * d;
    }
    if (mean) Store(mean + o, req_mean, static_cast<T>(m));
    if (var) Store(var + o, req_var, static_cast<T>(v / static_cast<double>(r.red_size)));
  }
}
template <typename T>
__global__ void MomentsGradK(const T *x, const T *gm, const T *gv, const T *m, BackView v, double count, T *dx,
                             int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    int64_t o = 0, k = i;
    for (int d = v.n - 1; d >= 0; --d) {
      o += (k % v.dim[d]) * v.ostride[d];
      k /= v.dim[d];
    }
    Store(dx + i, req, static_cast<T>((gm[o] + 2.0 * gv[o] * (x[i] - m[o])) / count));
  }
}

// ---- Pad
// The input position read by output position o along an axis (-1: the constant).
__device__ __forceinline__ int64_t PadSrc(int mode, int64_t o, int64_t before, int64_t n) {
  int64_t i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode == 0) return -1;
  if (mode == 1) return i < 0 ? 0 : n - 1;
  return i < 0 ? -i : 2 * (n - 1) - i;
}
template <typename T>
__global__ void PadK(int mode, const T *x, T *y, PadGeom g, T value, int req) {
  const int64_t op = g.out[0] * g.out[1] * g.out[2], ip = g.in[0] * g.in[1] * g.in[2];
  MXC_CUDA_LOOP(i, g.planes * op) {
    const int64_t pl = i / op, j = i % op;
    const int64_t c = j % g.out[2], b = (j / g.out[2]) % g.out[1], a = j / (g.out[2] * g.out[1]);
    const int64_t sa = PadSrc(mode, a, g.before[0], g.in[0]), sb = PadSrc(mode, b, g.before[1], g.in[1]),
                  sc = PadSrc(mode, c, g.before[2], g.in[2]);
    Store(y + i, req, (sa < 0 || sb < 0 || sc < 0) ? value : x[pl * ip + (sa * g.in[1] + sb) * g.in[2] + sc]);
  }
}
template <typename T>
__global__ void PadConstantGradK(const T *dy, T *dx, PadGeom g, int req) {
  const int64_t op = g.out[0] * g.out[1] * g.out[2], ip = g.in[0] * g.in[1] * g.in[2];
  MXC_CUDA_LOOP(i, g.planes * ip) {
    const int64_t pl = i / ip, j = i % ip;
    const int64_t c = j % g.in[2], b = (j / g.in[2]) % g.in[1], a = j / (g.in[2] * g.in[1]);
    Store(dx + i, req,
          dy[pl * op + ((a + g.before[0]) * g.out[1] + b + g.before[1]) * g.out[2] + c + g.before[2]]);
  }
}
// The output positions along an axis that read input position i (PadSrc's inverse), ascending: edge mode, one range
// (the ends take the padding beside them); reflect mode, up to three positions (the padding is shorter than the axis).
struct PadTaps {
  int64_t lo, hi;  // a range [lo, hi] (edge) ...
  int64_t o[3];    // ... or these positions (reflect)
  int n;           // number of positions in o; -1: the range
};
__device__ __forceinline__ PadTaps PadTapsOf(int mode, int64_t i, int64_t before, int64_t n, int64_t out) {
  PadTaps t;
  t.n = 0;
  if (mode == 1) {
    t.n = -1;
    t.lo = i == 0 ? 0 : i + before;
    t.hi = i == n - 1 ? out - 1 : i + before;
    return t;
  }
  if (i > 0 && before - i >= 0) t.o[t.n++] = before - i;
  t.o[t.n++] = i + before;
  if (i < n - 1 && before + 2 * (n - 1) - i < out) t.o[t.n++] = before + 2 * (n - 1) - i;
  return t;
}
__device__ __forceinline__ int PadTapCount(const PadTaps &t) {
  return t.n < 0 ? static_cast<int>(t.hi - t.lo + 1) : t.n;
}
__device__ __forceinline__ int64_t PadTap(const PadTaps &t, int k) { return t.n < 0 ? t.lo + k : t.o[k]; }
// Edge and reflect gradients gathered per input element: the head gradients of every output position reading it,
// added in output order as the CPU kernel adds them.
template <typename T>
__global__ void PadGatherGradK(int mode, const T *dy, T *dx, PadGeom g, int req) {
  const int64_t op = g.out[0] * g.out[1] * g.out[2], ip = g.in[0] * g.in[1] * g.in[2];
  MXC_CUDA_LOOP(i, g.planes * ip) {
    const int64_t pl = i / ip, j = i % ip;
    const int64_t c = j % g.in[2], b = (j / g.in[2]) % g.in[1], a = j / (g.in[2] * g.in[1]);
    const PadTaps ta = PadTapsOf(mode, a, g.before[0], g.in[0], g.out[0]);
    const PadTaps tb = PadTapsOf(mode, b, g.before[1], g.in[1], g.out[1]);
    const PadTaps tc = PadTapsOf(mode, c, g.before[2], g.in[2], g.out[2]);
    const int na = PadTapCount(ta), nb = PadTapCount(tb), nc = PadTapCount(tc);
    const T *base = dy + pl * op;
    T sum = T(0);
    for (int ka = 0; ka < na; ++ka)
      for (int kb = 0; kb < nb; ++kb) {
        const T *row = base + (PadTap(ta, ka) * g.out[1] + PadTap(tb, kb)) * g.out[2];
        for (int kc = 0; kc < nc; ++kc) sum += row[PadTap(tc, kc)];
      }
    Store(dx + i, req, sum);
  }
}

// ---- ravel / unravel, batch_take, exponential draws
template <typename T>
__device__ __forceinline__ int64_t AsIndex(T v) {
  if constexpr (std::is_floating_point<T>::value) {
    const double d = static_cast<double>(v);
    return (d == d && d < 9.2e18 && d > -9.2e18) ? static_cast<int64_t>(d) : (-9223372036854775807LL - 1);
  } else {
    return static_cast<int64_t>(v);
  }
}
template <typename T>
__global__ void RavelK(const T *x, T *y, int64_t n, RavelDims d, int req) {
  MXC_CUDA_LOOP(i, n) {
    int64_t v = 0;
    for (int k = 0; k < d.m; ++k) v += AsIndex(x[k * n + i]) * d.stride[k];
    Store(y + i, req, static_cast<T>(v));
  }
}
template <typename T>
__global__ void UnravelK(const T *x, T *y, int64_t n, RavelDims d, int req) {
  MXC_CUDA_LOOP(i, n) {
    const int64_t v = AsIndex(x[i]);
    for (int k = 0; k < d.m; ++k) Store(y + k * n + i, req, static_cast<T>(k == 0 ? v / d.stride[0] : v / d.stride[k] % d.dim[k]));
  }
}
template <typename T>
__global__ void BatchTakeK(const T *a, const int64_t *rows, T *y, int64_t n, int64_t k, int req) {
  MXC_CUDA_LOOP(i, n) Store(y + i, req, a[i * k + rows[i]]);
}
template <typename T>
__global__ void ExpFromUniformK(const double *u, double lam, T *y, int64_t n) {
  MXC_CUDA_LOOP(i, n) y[i] = static_cast<T>(-log(u[i]) / lam);
}

// ---- _sample_<d>
template <typename P, typename O>
__global__ void SampleK(int kind, const P *th0, const P *th1, int64_t np, int64_t per, const double *r, O *out,
                        int req) {
  MXC_CUDA_LOOP(i, np * per) {
    const int64_t d = i / per;
    const double a = static_cast<double>(th0[d]);
    double v;
    if (kind == 0) v = a + (static_cast<double>(th1[d]) - a) * r[i];
    else if (kind == 1) v = a + static_cast<double>(th1[d]) * r[i];
    else v = -log(r[i]) / a;
    Store(out + i, req, static_cast<O>(v));
  }
}
template <typename P>
__global__ void SampleCheckK(int kind, const P *th0, const P *th1, int64_t np, unsigned long long *bad) {
  MXC_CUDA_LOOP(i, np) {
    const double a = static_cast<double>(th0[i]);
    bool ok;
    const double b = th1 ? static_cast<double>(th1[i]) : 0.0;
    switch (kind) {
      case 0: ok = a <= b; break;
      case 1: ok = b >= 0; break;
      case 3: ok = a > 0 && b > 0; break;
      case 4: ok = a >= 0; break;
      case 5: ok = a >= 0 && b > 0 && b <= 1; break;
      case 6: ok = a >= 0 && b >= 0; break;
      default: ok = a > 0;
    }
    if (!ok) *bad = 1ull;
  }
}

// ---- linalg helpers
template <typename T>
__global__ void MapCopyK(T *mats, T *vecs, const int64_t *map, int64_t len, int64_t batch, int64_t mat_size,
                         bool to_vec, int req) {
  MXC_CUDA_LOOP(i, batch * len) {
    T *m = mats + (i / len) * mat_size + map[i % len];
    if (to_vec) Store(vecs + i, req, *m);
    else Store(m, req, vecs[i]);
  }
}
template <typename T>
__global__ void TriMaskK(const T *src, T *dst, int64_t batch, int64_t n, bool lower, bool transpose, int req) {
  MXC_CUDA_LOOP(k, batch * n * n) {
    const int64_t b = k / (n * n), i = (k / n) % n, j = k % n;
    const bool in = lower ? j <= i : j >= i;
    Store(dst + k, req, in ? src[b * n * n + (transpose ? j * n + i : i * n + j)] : T(0));
  }
}
template <typename T>
__global__ void SumLogDiagK(const T *a, T *out, int64_t batch, int64_t n, int req) {
  MXC_CUDA_LOOP(b, batch) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += log(static_cast<double>(a[b * n * n + i * n + i]));
    Store(out + b, req, static_cast<T>(s));
  }
}
template <typename T>
__global__ void SumLogDiagGradK(const T *g, const T *a, T *da, int64_t batch, int64_t n, int req) {
  MXC_CUDA_LOOP(k, batch * n * n) {
    const int64_t b = k / (n * n), i = (k / n) % n, j = k % n;
    Store(da + k, req, i == j ? static_cast<T>(g[b] / a[k]) : T(0));
  }
}

template <typename T>
__global__ void KhatriRaoK(KhatriRaoArgs a, T *out, int64_t rows, int64_t cols, int req) {
  MXC_CUDA_LOOP(e, rows * cols) {
    const int64_t c = e % cols;
    int64_t rest = e / cols;
    double v = 1;
    for (int i = a.n - 1; i >= 0; --i) {
      v *= static_cast<double>(static_cast<const T *>(a.in[i])[(rest % a.rows[i]) * cols + c]);
      rest /= a.rows[i];
    }
    Store(out + e, req, static_cast<T>(v));
  }
}
template <typename T>
__global__ void RowSelectK(const T *a, const T *b, const int64_t *sel, int64_t rows, int64_t row, T *out, int req) {
  MXC_CUDA_LOOP(e, rows * row) {
    const int64_t r = e / row, j = e % row, s = sel[r];
    Store(out + e, req, s >= 0 ? (b ? b[s * row + j] : T(0)) : (a ? a[e] : T(0)));
  }
}

// ---- _random_pdf_<d>: L (the log-density) and its derivatives; the density itself when !log (uniform and normal by
// their direct formulas).
constexpr double kLogSqrt2Pi = 0.91893853320467274178;
__device__ __forceinline__ double PdfEval(int dist, double x, double a, double b, bool lg, double *dx, double *da,
                                          double *db) {
  double l = 0;
  switch (dist) {
    case 0: {  // uniform (low, high)
      const double w = b - a;
      *dx = 0, *da = 1 / w, *db = -1 / w;
      return lg ? -log(w) : 1 / w;
    }
    case 1: {  // normal (mu, sigma)
      const double z = (x - a) / b;
      *dx = -z / b, *da = z / b, *db = (z * z - 1) / b;
      return lg ? -0.5 * z * z - log(b) - kLogSqrt2Pi : exp(-0.5 * z * z - kLogSqrt2Pi) / b;
    }
    case 2:  // gamma (shape a, rate b)
      *dx = (a - 1) / x - b, *da = log(b) + log(x) - DigammaD(a), *db = a / b - x;
      l = a * log(b) + (a - 1) * log(x) - b * x - lgamma(a);
      break;
    case 3:  // exponential (lam)
      *dx = -a, *da = 1 / a - x, *db = 0;
      l = log(a) - a * x;
      break;
    case 4:  // poisson (lam): no gradient for the sample
      *dx = 0, *da = x / a - 1, *db = 0;
      l = x * log(a) - a - lgamma(x + 1);
      break;
    case 5:  // negative binomial (k, p)
      *dx = 0, *da = DigammaD(x + a) - DigammaD(a) + log(b), *db = a / b - x / (1 - b);
      l = lgamma(x + a) - lgamma(x + 1) - lgamma(a) + a * log(b) + x * log1p(-b);
      break;
    default: {  // generalized negative binomial (mu, alpha): k = 1 / alpha, p = 1 / (1 + alpha mu)
      const double k = 1 / b, p = 1 / (1 + b * a);
      *dx = 0;
      *da = p * (x / a - 1);
      *db = -(DigammaD(x + k) - DigammaD(k) + log(p)) / (b * b) + p * (x - a) / b;
      l = lgamma(x + k) - lgamma(x + 1) - lgamma(k) + k * log(p) + x * log(b * a * p);
    }
  }
  return lg ? l : exp(l);
}
template <typename T>
__global__ void RandomPdfK(int dist, const T *x, const T *th0, const T *th1, int64_t np, int64_t per, bool lg, T *out,
                           int req) {
  MXC_CUDA_LOOP(e, np * per) {
    const int64_t i = e / per;
    double dx, da, db;
    const double v = PdfEval(dist, static_cast<double>(x[e]), static_cast<double>(th0[i]),
                             th1 ? static_cast<double>(th1[i]) : 0.0, lg, &dx, &da, &db);
    Store(out + e, req, static_cast<T>(v));
  }
}
// The head gradient scaled to dL: g (log) or g * density.
template <typename T>
__device__ __forceinline__ double PdfHead(int dist, const T *g, const T *x, double a, double b, bool lg, int64_t e,
                                          double *dx, double *da, double *db) {
  const double v = PdfEval(dist, static_cast<double>(x[e]), a, b, false, dx, da, db);
  return static_cast<double>(g[e]) * (lg ? 1.0 : v);
}
template <typename T>
__global__ void RandomPdfSampleGradK(int dist, const T *g, const T *x, const T *th0, const T *th1, int64_t np,
                                     int64_t per, bool lg, T *dxo, int req) {
  MXC_CUDA_LOOP(e, np * per) {
    const int64_t i = e / per;
    double dx, da, db;
    const double h = PdfHead(dist, g, x, static_cast<double>(th0[i]), th1 ? static_cast<double>(th1[i]) : 0.0, lg, e,
                             &dx, &da, &db);
    Store(dxo + e, req, static_cast<T>(h * dx));
  }
}
template <typename T>
__global__ void RandomPdfParamGradK(int dist, const T *g, const T *x, const T *th0, const T *th1, int64_t np,
                                    int64_t per, bool lg, T *d0, int req0, T *d1, int req1) {
  MXC_CUDA_LOOP(i, np) {
    const double a = static_cast<double>(th0[i]), b = th1 ? static_cast<double>(th1[i]) : 0.0;
    double acc0 = 0, acc1 = 0;
    for (int64_t j = 0; j < per; ++j) {
      double dx, da, db;
      const double h = PdfHead(dist, g, x, a, b, lg, i * per + j, &dx, &da, &db);
      acc0 += h * da;
      acc1 += h * db;
    }
    if (d0 && req0) Store(d0 + i, req0, static_cast<T>(acc0));
    if (d1 && req1) Store(d1 + i, req1, static_cast<T>(acc1));
  }
}

// ---- rejection samplers on per-element Philox streams
struct ElemRng {
  uint2 key;
  unsigned long long elem;
  unsigned ctr = 0;
  unsigned w[4];
  int left = 0;
  __device__ unsigned Word() {
    if (left == 0) {
      unsigned c0 = static_cast<unsigned>(elem), c1 = static_cast<unsigned>(elem >> 32), c2 = ctr++, c3 = 0x6D78u;
      uint2 k = key;
      for (int r = 0; r < 10; ++r) {  // Philox-4x32 rounds
        const unsigned long long p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
        const unsigned hi0 = static_cast<unsigned>(p0 >> 32), lo0 = static_cast<unsigned>(p0);
        const unsigned hi1 = static_cast<unsigned>(p1 >> 32), lo1 = static_cast<unsigned>(p1);
        c0 = hi1 ^ c1 ^ k.x;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k.y;
        c3 = lo0;
        k.x += 0x9E3779B9u;
        k.y += 0xBB67AE85u;
      }
      w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;
      left = 4;
    }
    return w[--left];
  }
  __device__ unsigned long long Bits53() {
    const unsigned long long a = Word(), b = Word();
    return ((a << 32) | b) >> 11;
  }
  __device__ double Uniform() { return static_cast<double>(Bits53()) * (1.0 / 9007199254740992.0); }  // [0, 1)
  __device__ double Open() { return (static_cast<double>(Bits53()) + 0.5) * (1.0 / 9007199254740992.0); }
  __device__ double Normal() { return sqrt(-2.0 * log(Open())) * cos(6.283185307179586 * Uniform()); }
  __device__ double Gamma(double a, double scale) {
    if (a != a) return a;  // a NaN never passes the squeeze below
    if (scale != scale) return scale;
    double boost = 1;
    if (a < 1) {  // Gamma(a) = Gamma(a + 1) U^(1/a)
      boost = pow(Open(), 1.0 / a);
      a += 1;
    }
    const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
      const double x = Normal();
      double v = 1.0 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const double u = Open(), x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v * scale * boost;
    }
  }
  __device__ double Poisson(double lam) {
    // A NaN or infinite rate (a Gamma draw that overflowed) never passes the rejection test below.
    if (lam != lam || lam > 1.7976931348623157e308) return lam;
    if (!(lam > 0)) return 0;
    if (lam < 10) {
      const double l = exp(-lam);
      double prod = Open();
      long long k = 0;
      while (prod > l) {
        ++k;
        prod *= Open();
      }
      return static_cast<double>(k);
    }
    const double slam = sqrt(lam), loglam = log(lam);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const double u = Uniform() - 0.5, v = Open(), us = 0.5 - (u < 0 ? -u : u);
      const double k = floor((2 * a / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) return k;
    }
  }
};

// randint: low + w % range for 64-bit words w below the largest multiple of range (every value equally likely).
template <typename O>
__global__ void RandintK(long long low, unsigned long long range, uint2 key, O *out, int64_t n) {
  MXC_CUDA_LOOP(e, n) {
    ElemRng r;
    r.key = key;
    r.elem = static_cast<unsigned long long>(e);
    const unsigned long long limit = ~0ull - ~0ull % range;
    unsigned long long w;
    do {
      const unsigned long long hi = r.Word(), lo = r.Word();
      w = (hi << 32) | lo;
    } while (w >= limit);
    out[e] = static_cast<O>(static_cast<long long>(static_cast<unsigned long long>(low) + w % range));
  }
}

template <typename P, typename O>
__global__ void SampleDistK(int kind, const P *th0, const P *th1, double s0, double s1, int64_t np, int64_t per,
                            uint2 key, O *out, int req) {
  MXC_CUDA_LOOP(e, np * per) {
    const int64_t i = e / per;
    const double a = th0 ? static_cast<double>(th0[i]) : s0, b = th1 ? static_cast<double>(th1[i]) : s1;
    ElemRng r;
    r.key = key;
    r.elem = static_cast<unsigned long long>(e);
    double v;
    switch (kind) {
      case 3: v = r.Gamma(a, b); break;
      case 4: v = r.Poisson(a); break;
      case 5: v = (a <= 0 || b >= 1) ? 0.0 : r.Poisson(r.Gamma(a, (1 - b) / b)); break;
      default: v = a <= 0 ? 0.0 : (b <= 0 ? r.Poisson(a) : r.Poisson(r.Gamma(1.0 / b, b * a)));
    }
    Store(out + e, req, static_cast<O>(v));
  }
}

}  // namespace

void Randint(int dtype, long long low, long long high, uint64_t key, void *out, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  const uint2 k = make_uint2(static_cast<unsigned>(key), static_cast<unsigned>(key >> 32));
  const unsigned long long range = static_cast<unsigned long long>(high) - static_cast<unsigned long long>(low);
  if (dtype == 4)  // int32 (kernels.cuh's DTypeCode)
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RandintK<int32_t>)(low, range, k, static_cast<int32_t *>(out), n);
  else if (dtype == 6)  // int64
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RandintK<int64_t>)(low, range, k, static_cast<int64_t *>(out), n);
}

void SampleDist(int kind, int param_dtype, const void *th0, const void *th1, double s0, double s1, int64_t np,
                int64_t per, uint64_t key, int out_dtype, void *out, int req, cudaStream_t s) {
  if (np * per == 0 || req == 0) return;
  const uint2 k = make_uint2(static_cast<unsigned>(key), static_cast<unsigned>(key >> 32));
  MXC_CUDA_REAL_SWITCH(param_dtype, P, {
    MXC_CUDA_REAL_SWITCH(out_dtype, O, {
      MXC_LAUNCH(Blocks(np * per), kThreads, 0, s, SampleDistK<P, O>)(kind, static_cast<const P *>(th0),
                                                                     static_cast<const P *>(th1), s0, s1, np, per,
                                                                     k, static_cast<O *>(out), req);
    });
  });
}

void RandomPdf(int dist, int dtype, const void *x, const void *th0, const void *th1, int64_t np, int64_t per,
               bool log, void *out, int req, cudaStream_t s) {
  if (np * per == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(np * per), kThreads, 0, s, RandomPdfK<T>)(dist, static_cast<const T *>(x),
                                                               static_cast<const T *>(th0),
                                                               static_cast<const T *>(th1), np, per, log,
                                                               static_cast<T *>(out), req);
  });
}

void RandomPdfGrad(int dist, int dtype, const void *g, const void *x, const void *th0, const void *th1, int64_t np,
                   int64_t per, bool log, void *dx, int req_x, void *dth0, int req0, void *dth1, int req1,
                   cudaStream_t s) {
  if (np == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    const T *gt = static_cast<const T *>(g), *xt = static_cast<const T *>(x);
    const T *a = static_cast<const T *>(th0), *b = static_cast<const T *>(th1);
    if (dx && req_x && per > 0)
      MXC_LAUNCH(Blocks(np * per), kThreads, 0, s, RandomPdfSampleGradK<T>)(dist, gt, xt, a, b, np, per, log,
                                                                           static_cast<T *>(dx), req_x);
    if ((dth0 && req0) || (dth1 && req1))
      MXC_LAUNCH(Blocks(np), kThreads, 0, s, RandomPdfParamGradK<T>)(dist, gt, xt, a, b, np, per, log,
                                                                    static_cast<T *>(dth0), req0,
                                                                    static_cast<T *>(dth1), req1);
  });
}

void KhatriRao(int dtype, const KhatriRaoArgs &a, void *out, int64_t rows, int64_t cols, int req, cudaStream_t s) {
  if (rows * cols == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows * cols), kThreads, 0, s, KhatriRaoK<T>)(a, static_cast<T *>(out), rows, cols, req);
  });
}

void RowSelect(int dtype, const void *a, const void *b, const int64_t *sel, int64_t rows, int64_t row, void *out,
               int req, cudaStream_t s) {
  if (rows * row == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows * row), kThreads, 0, s, RowSelectK<T>)(static_cast<const T *>(a),
                                                                 static_cast<const T *>(b), sel, rows, row,
                                                                 static_cast<T *>(out), req);
  });
}

void MapCopy(int dtype, void *mats, void *vecs, const int64_t *map, int64_t len, int64_t batch, int64_t mat_size,
             bool to_vec, int req, cudaStream_t s) {
  if (batch * len == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(batch * len), kThreads, 0, s, MapCopyK<T>)(static_cast<T *>(mats), static_cast<T *>(vecs), map,
                                                                len, batch, mat_size, to_vec, req);
  });
}

void TriMask(int dtype, const void *src, void *dst, int64_t batch, int64_t n, bool lower, bool transpose, int req,
             cudaStream_t s) {
  if (batch * n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(batch * n * n), kThreads, 0, s, TriMaskK<T>)(static_cast<const T *>(src), static_cast<T *>(dst),
                                                                  batch, n, lower, transpose, req);
  });
}

void SumLogDiag(int dtype, const void *a, void *out, int64_t batch, int64_t n, int req, cudaStream_t s) {
  if (batch == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(batch), kThreads, 0, s, SumLogDiagK<T>)(static_cast<const T *>(a), static_cast<T *>(out), batch,
                                                             n, req);
  });
}

void SumLogDiagGrad(int dtype, const void *g, const void *a, void *da, int64_t batch, int64_t n, int req,
                    cudaStream_t s) {
  if (batch * n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(batch * n * n), kThreads, 0, s, SumLogDiagGradK<T>)(
        static_cast<const T *>(g), static_cast<const T *>(a), static_cast<T *>(da), batch, n, req);
  });
}

void SampleTransform(int kind, int param_dtype, const void *th0, const void *th1, int64_t np, int64_t per,
                     const double *r, int out_dtype, void *out, int req, cudaStream_t s) {
  if (np * per == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(param_dtype, P, {
    MXC_CUDA_REAL_SWITCH(out_dtype, O, {
      MXC_LAUNCH(Blocks(np * per), kThreads, 0, s, SampleK<P, O>)(kind, static_cast<const P *>(th0),
                                                                 static_cast<const P *>(th1), np, per, r,
                                                                 static_cast<O *>(out), req);
    });
  });
}

void SampleCheck(int kind, int param_dtype, const void *th0, const void *th1, int64_t np, unsigned long long *bad,
                 cudaStream_t s) {
  if (np == 0) return;
  MXC_CUDA_REAL_SWITCH(param_dtype, P, {
    MXC_LAUNCH(Blocks(np), kThreads, 0, s, SampleCheckK<P>)(kind, static_cast<const P *>(th0),
                                                           static_cast<const P *>(th1), np, bad);
  });
}

void Ravel(int dtype, const void *x, void *y, int64_t n, const RavelDims &d, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, RavelK<T>)(static_cast<const T *>(x), static_cast<T *>(y), n, d, req);
  });
}

void Unravel(int dtype, const void *x, void *y, int64_t n, const RavelDims &d, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, UnravelK<T>)(static_cast<const T *>(x), static_cast<T *>(y), n, d, req);
  });
}

void BatchTake(int dtype, const void *a, const int64_t *rows, void *y, int64_t n, int64_t k, int req,
               cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, BatchTakeK<T>)(static_cast<const T *>(a), rows, static_cast<T *>(y), n, k,
                                                        req);
  });
}

void ExponentialFromUniform(int dtype, const double *u, double lam, void *y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ExpFromUniformK<T>)(u, lam, static_cast<T *>(y), n);
  });
}

void MoreUnary(int code, int dtype, const void *x, void *y, int64_t n, double a, double b, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  if (code == kIsNan || code == kIsInf || code == kIsFinite) {
    MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, TestK<T>)(code, static_cast<const T *>(x), static_cast<T *>(y), n, req);
    });
    return;
  }
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MoreUnaryK<T>)(code, static_cast<const T *>(x), static_cast<T *>(y), n,
                                                        static_cast<T>(a), static_cast<T>(b), req);
  });
}

void MoreUnaryGrad(int code, int dtype, const void *g, const void *x, const void *y, void *gx, int64_t n, double a,
                   double b, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MoreUnaryGradK<T>)(code, static_cast<const T *>(g),
                                                            static_cast<const T *>(x), static_cast<const T *>(y),
                                                            static_cast<T *>(gx), n, static_cast<T>(a),
                                                            static_cast<T>(b), req);
  });
}

void MoreBinary(int code, int dtype, const void *a, const void *b, const BinView &v, void *out, int64_t n, int req,
                cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MoreBinaryK<T>)(code, static_cast<const T *>(a), static_cast<const T *>(b),
                                                         v, static_cast<T *>(out), n, req);
  });
}

void MoreScalar(int code, int dtype, const void *x, double scalar, void *out, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MoreScalarK<T>)(code, static_cast<const T *>(x), CvtFrom<T>::F(scalar),
                                                         static_cast<T *>(out), n, req);
  });
}

void HypotDeriv(int side, int dtype, const void *g, const void *a, const void *b, const BinView &v, void *d,
                int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, HypotDerivK<T>)(side, static_cast<const T *>(g), static_cast<const T *>(a),
                                                         static_cast<const T *>(b), v, static_cast<T *>(d), n, req);
  });
}

void Linspace(int dtype, void *out, int64_t n, double start, double step, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LinspaceK<T>)(static_cast<T *>(out), n, start, step, req);
  });
}

void Eye(int dtype, void *out, int64_t rows, int64_t cols, int64_t k, int req, cudaStream_t s) {
  if (rows * cols == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows * cols), kThreads, 0, s, EyeK<T>)(static_cast<T *>(out), rows, cols, k, req);
  });
}

void Cumsum(int in_dtype, const void *x, int out_dtype, void *y, int64_t outer, int64_t n, int64_t inner,
            bool reverse, int req, cudaStream_t s) {
  if (outer * n * inner == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(in_dtype, I, {
    MXC_CUDA_NUMERIC_SWITCH(out_dtype, O, {
      MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, CumsumK<I, O>)(static_cast<const I *>(x), static_cast<O *>(y),
                                                                      outer, n, inner, reverse, req);
    });
  });
}

void ReplaceNan(int dtype, const void *x, void *y, int64_t n, double value, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ReplaceNanK<T>)(static_cast<const T *>(x), static_cast<T *>(y), n,
                                                         static_cast<T>(value));
  });
}

void MaskNan(int dtype, const void *src, const void *x, void *d, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MaskNanK<T>)(static_cast<const T *>(src), static_cast<const T *>(x),
                                                      static_cast<T *>(d), n, req);
  });
}

void Moments(int dtype, const void *x, const RedView &r, void *mean, int req_mean, void *var, int req_var,
             cudaStream_t s) {
  if (r.out_size == 0) return;
  if (req_mean == 0) mean = nullptr;
  if (req_var == 0) var = nullptr;
  if (!mean && !var) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(r.out_size), kThreads, 0, s, MomentsK<T>)(static_cast<const T *>(x), r, static_cast<T *>(mean),
                                                               req_mean, static_cast<T *>(var), req_var);
  });
}

void MomentsGrad(int dtype, const void *x, const void *gm, const void *gv, const void *m, const BackView &v,
                 double count, void *dx, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MomentsGradK<T>)(static_cast<const T *>(x), static_cast<const T *>(gm),
                                                          static_cast<const T *>(gv), static_cast<const T *>(m), v,
                                                          count, static_cast<T *>(dx), n, req);
  });
}

void Pad(int dtype, int mode, const void *x, void *y, const PadGeom &g, double value, int req, cudaStream_t s) {
  const int64_t n = g.planes * g.out[0] * g.out[1] * g.out[2];
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PadK<T>)(mode, static_cast<const T *>(x), static_cast<T *>(y), g,
                                                  static_cast<T>(value), req);
  });
}

void PadGatherGrad(int dtype, int mode, const void *dy, void *dx, const PadGeom &g, int req, cudaStream_t s) {
  const int64_t n = g.planes * g.in[0] * g.in[1] * g.in[2];
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PadGatherGradK<T>)(mode, static_cast<const T *>(dy), static_cast<T *>(dx),
                                                             g, req);
  });
}
void PadConstantGrad(int dtype, const void *dy, void *dx, const PadGeom &g, int req, cudaStream_t s) {
  const int64_t n = g.planes * g.in[0] * g.in[1] * g.in[2];
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PadConstantGradK<T>)(static_cast<const T *>(dy), static_cast<T *>(dx), g,
                                                              req);
  });
}

}  // namespace cuda
}  // namespace mxc
