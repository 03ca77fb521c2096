// Unary operators (negative, abs, sign, exp, log, ..., erf, gamma, contrib isnan/isinf/isfinite, clip,
// hard_sigmoid), dtype conversion (Cast), copies (_copy, _copyto) and the variadic sum add_n.
#include "elemwise_util.h"
#include "fast_math.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

// ----------------------------------------------------------------------------------------------------------------
// Unary math. Each functor: the dtypes it accepts, whether its gradient reads the input x and/or the output y,
// Map(x) and Grad(x, y) = d y / d x.
// ----------------------------------------------------------------------------------------------------------------
template <unsigned kT, bool kI, bool kO>
struct UnaryTraits {
  static constexpr unsigned kTypes = kT;
  static constexpr bool kUsesIn = kI, kUsesOut = kO;
};
constexpr unsigned kN = kNumericTypes, kR = kRealTypes;

struct Negative : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) { return static_cast<T>(-x); }
  template <typename T> static T Grad(T, T) { return T(-1); }
};
struct Abs : UnaryTraits<kN, true, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_unsigned<T>::value) return x;
    else return static_cast<T>(x < 0 ? -x : x);
  }
  template <typename T> static T Grad(T x, T) { return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0)); }
};
struct Sign : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) { return x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : x); }
};
// float32: fast_math.h's exp (vectorizes; results below the normal float range flush to 0).
struct Exp : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_same<T, float>::value) return FastExp(x);
    else return std::exp(x);
  }
  template <typename T> static T Grad(T, T y) { return y; }
};
struct Log : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::log(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / x; }
};
struct Sqrt : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return std::sqrt(x); }
  template <typename T> static T Grad(T, T y) { return T(0.5) / y; }
};
struct Rsqrt : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return T(1) / std::sqrt(x); }
  template <typename T> static T Grad(T, T y) { return T(-0.5) * y * y * y; }
};
struct Square : UnaryTraits<kN, true, false> {
  template <typename T> static T Map(T x) { return static_cast<T>(x * x); }
  template <typename T> static T Grad(T x, T) { return T(2) * x; }
};
struct Sin : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::sin(x); }
  template <typename T> static T Grad(T x, T) { return std::cos(x); }
};
struct Cos : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::cos(x); }
  template <typename T> static T Grad(T x, T) { return -std::sin(x); }
};
struct Tanh : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return FastTanh(x); }
  template <typename T> static T Grad(T, T y) { return T(1) - y * y; }
};
struct Sigmoid : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return FastSigmoid(x); }
  template <typename T> static T Grad(T, T y) { return y * (T(1) - y); }
};
struct Relu : UnaryTraits<kN, false, true> {
  template <typename T> static T Map(T x) { return (x > T(0) || IsNan(x)) ? x : T(0); }
  template <typename T> static T Grad(T, T y) { return y > T(0) ? T(1) : T(0); }
};
// Rounding is the identity on integers; round() rounds halves away from zero (as MXNet).
struct Floor : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return x;
    else return std::floor(x);
  }
};
struct Ceil : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return x;
    else return std::ceil(x);
  }
};
struct Round : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return x;
    else return std::round(x);
  }
};
struct Reciprocal : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return T(1) / x; }
  template <typename T> static T Grad(T, T y) { return -y * y; }
};
struct Log1p : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::log1p(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / (T(1) + x); }
};
struct Expm1 : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return std::expm1(x); }
  template <typename T> static T Grad(T, T y) { return y + T(1); }
};

// More of MXNet's unary math (not in the list; cheap to provide with the same machinery).
struct Log2 : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::log2(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / (x * T(0.6931471805599453)); }
};
struct Log10 : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::log10(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / (x * T(2.302585092994046)); }
};
struct Tan : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return std::tan(x); }
  template <typename T> static T Grad(T, T y) { return T(1) + y * y; }
};
struct Arcsin : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::asin(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / std::sqrt(T(1) - x * x); }
};
struct Arccos : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::acos(x); }
  template <typename T> static T Grad(T x, T) { return T(-1) / std::sqrt(T(1) - x * x); }
};
struct Arctan : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::atan(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / (T(1) + x * x); }
};
struct Sinh : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::sinh(x); }
  template <typename T> static T Grad(T x, T) { return std::cosh(x); }
};
struct Cosh : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::cosh(x); }
  template <typename T> static T Grad(T x, T) { return std::sinh(x); }
};
struct Arcsinh : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::asinh(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / std::sqrt(x * x + T(1)); }
};
struct Arccosh : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::acosh(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / std::sqrt(x * x - T(1)); }
};
struct Arctanh : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::atanh(x); }
  template <typename T> static T Grad(T x, T) { return T(1) / (T(1) - x * x); }
};
struct Cbrt : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return std::cbrt(x); }
  template <typename T> static T Grad(T, T y) { return T(1) / (T(3) * y * y); }
};
// rcbrt: 1 / cbrt(x); d/dx x^(-1/3) = -x^(-4/3) / 3 = -y^4 / 3.
struct Rcbrt : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return T(1) / std::cbrt(x); }
  template <typename T> static T Grad(T, T y) { return T(-1) / T(3) * y * y * y * y; }
};
// softsign: x / (1 + |x|), gradient 1 / (1 + |x|)^2.
struct Softsign : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return x / (T(1) + std::abs(x)); }
  template <typename T> static T Grad(T x, T) { return T(1) / ((T(1) + std::abs(x)) * (T(1) + std::abs(x))); }
};
struct Degrees : UnaryTraits<kR, false, false> {
  template <typename T> static T Map(T x) { return x * T(57.29577951308232); }
  template <typename T> static T Grad(T, T) { return T(57.29577951308232); }
};
struct Radians : UnaryTraits<kR, false, false> {
  template <typename T> static T Map(T x) { return x * T(0.017453292519943295); }
  template <typename T> static T Grad(T, T) { return T(0.017453292519943295); }
};
struct Trunc : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return x;
    else return std::trunc(x);
  }
};
// rint: halves to even (unlike round).
struct Rint : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return x;
    else return std::nearbyint(x);
  }
};
struct LogicalNot : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) { return x == T(0) ? T(1) : T(0); }
};

// Special functions (MXNet's erf, erfinv, gamma, gammaln).
constexpr double kTwoOverSqrtPi = 1.1283791670955126, kPi = 3.141592653589793;
// digamma: shifted up to x >= 6 by psi(x) = psi(x + 1) - 1 / x, then the asymptotic series; reflection below 0.
inline double Digamma(double x) {
  if (x <= 0 && x == std::floor(x)) return NAN;
  if (x < 0) return Digamma(1 - x) - kPi / std::tan(kPi * x);
  double acc = 0;
  for (; x < 6; x += 1) acc -= 1 / x;
  double r = 1 / (x * x);
  return acc + std::log(x) - 0.5 / x - r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r / 132))));
}
// erfinv: a rational first guess refined by Newton steps on erf(y) - x (double precision after three).
inline double ErfInv(double x) {
  if (!(x > -1 && x < 1)) return x == 1 ? INFINITY : (x == -1 ? -INFINITY : NAN);
  double w = -std::log((1 - x) * (1 + x)), y;
  if (w < 5) {
    w -= 2.5;
    y = 2.81022636e-08;
    for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                     -0.00417768164, 0.246640727, 1.50140941})
      y = c + y * w;
  } else {
    w = std::sqrt(w) - 3;
    y = -0.000200214257;
    for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                     1.00167406, 2.83297682})
      y = c + y * w;
  }
  y *= x;
  for (int i = 0; i < 3; ++i) y -= (std::erf(y) - x) / (kTwoOverSqrtPi * std::exp(-y * y));
  return y;
}
struct Erf : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::erf(x); }
  template <typename T> static T Grad(T x, T) { return static_cast<T>(kTwoOverSqrtPi * std::exp(-double(x) * x)); }
};
struct Erfinv : UnaryTraits<kR, false, true> {
  template <typename T> static T Map(T x) { return static_cast<T>(ErfInv(x)); }
  template <typename T> static T Grad(T, T y) { return static_cast<T>(std::exp(double(y) * y) / kTwoOverSqrtPi); }
};
struct Gamma : UnaryTraits<kR, true, true> {
  template <typename T> static T Map(T x) { return std::tgamma(x); }
  template <typename T> static T Grad(T x, T y) { return static_cast<T>(y * Digamma(x)); }
};
struct Gammaln : UnaryTraits<kR, true, false> {
  template <typename T> static T Map(T x) { return std::lgamma(x); }
  template <typename T> static T Grad(T x, T) { return static_cast<T>(Digamma(x)); }
};
// contrib.isnan / isinf / isfinite: 1 or 0 in the input dtype (integers are always finite).
struct IsNanOp : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) { return IsNan(x) ? T(1) : T(0); }
};
struct IsInfOp : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return T(0);
    else return std::isinf(static_cast<double>(x)) ? T(1) : T(0);
  }
};
struct IsFiniteOp : UnaryTraits<kN, false, false> {
  template <typename T> static T Map(T x) {
    if constexpr (std::is_integral<T>::value) return T(1);
    else return std::isfinite(static_cast<double>(x)) ? T(1) : T(0);
  }
};

template <typename OP>
void UnaryForward(const OpContext &, const OpParams &, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                  const std::vector<TBlob> &out) {
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T *x = in[0].ptr<T>();
    MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) { return OP::Map(x[i]); });
  };
  if constexpr (OP::kTypes == kRealTypes) {
    MXC_REAL_TYPE_SWITCH(out[0].dtype, T, run(T()));
  } else {
    MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, run(T()));
  }
}

template <typename OP>
void UnaryBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                   const std::vector<TBlob> &in_data, const std::vector<TBlob> &out_data,
                   const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    const T *x = OP::kUsesIn ? in_data[0].ptr<T>() : nullptr;
    const T *y = OP::kUsesOut ? out_data[0].ptr<T>() : nullptr;
    MapOut(in_grad[0].ptr<T>(), in_grad[0].Size(), req[0], [=](int64_t i) {
      return g[i] * OP::Grad(OP::kUsesIn ? x[i] : T(0), OP::kUsesOut ? y[i] : T(0));
    });
  });
}

void ZeroBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<TBlob> &,
                  const std::vector<TBlob> &, const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  ZeroGrad(in_grad[0], req[0]);
}

Op &UnaryBase(const char *name, const std::string &doc, unsigned types) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .set_inputs({"data"})
      .set_elementwise(SameShapeInfer, SameTypeIn(types), types)
      .set_inplace({{0, 0}});
}

template <typename OP>
void UnaryOp(const char *name, const std::string &doc) {
  UnaryBase(name, doc, OP::kTypes)
      .set_compute(MXC_CPU, UnaryForward<OP>)
      .set_backward(MXC_CPU, UnaryBackward<OP>)
      .set_backward_uses(OP::kUsesIn, OP::kUsesOut)
      .set_backward_inplace({{0, 0}});  // dx[i] depends on dy[i], x[i], y[i] only
}

// Piecewise-constant functions: zero gradient.
template <typename OP>
void FlatOp(const char *name, const std::string &doc) {
  UnaryBase(name, doc, OP::kTypes)
      .set_compute(MXC_CPU, UnaryForward<OP>)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
}

template <int kValue>
void FillLike(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<OpReq> &req,
              const std::vector<TBlob> &out) {
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [](int64_t) { return T(kValue); });
  });
}

// ----------------------------------------------------------------------------------------------------------------
// clip
// ----------------------------------------------------------------------------------------------------------------
void ClipShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  double lo = p.Float("a_min"), hi = p.Float("a_max");
  MXC_CHECK(!(lo > hi), ErrorKind::kValue, "operator clip: a_min (", lo, ") must not exceed a_max (", hi, ")");
  SameShapeInfer(p, in, out);
}

void ClipForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                 const std::vector<TBlob> &out) {
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    const T lo = Convert<T>::From_(p.Float("a_min")), hi = Convert<T>::From_(p.Float("a_max"));
    MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) {
      T v = x[i];
      return v < lo ? lo : (v > hi ? hi : v);
    });
  });
}

// The gradient passes where a_min <= x <= a_max (bounds included, as in MXNet).
void ClipBackward(const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                  const std::vector<TBlob> &in_data, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                  const std::vector<TBlob> &in_grad) {
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    const T *x = in_data[0].ptr<T>();
    const T lo = static_cast<T>(p.Float("a_min")), hi = static_cast<T>(p.Float("a_max"));
    MapOut(in_grad[0].ptr<T>(), in_grad[0].Size(), req[0],
           [=](int64_t i) { return (x[i] >= lo && x[i] <= hi) ? g[i] : T(0); });
  });
}

// hard_sigmoid: max(0, min(1, alpha * x + beta)); the gradient is alpha where 0 < alpha * x + beta < 1.
void HardSigmoidForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                        const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    const T a = static_cast<T>(p.Float("alpha")), b = static_cast<T>(p.Float("beta"));
    MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) {
      T v = a * x[i] + b;
      return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    });
  });
}

void HardSigmoidBackward(const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                         const std::vector<TBlob> &in_data, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                         const std::vector<TBlob> &in_grad) {
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    const T *x = in_data[0].ptr<T>();
    const T a = static_cast<T>(p.Float("alpha")), b = static_cast<T>(p.Float("beta"));
    MapOut(in_grad[0].ptr<T>(), in_grad[0].Size(), req[0], [=](int64_t i) {
      T v = a * x[i] + b;
      return (v > T(0) && v < T(1)) ? g[i] * a : T(0);
    });
  });
}

// ----------------------------------------------------------------------------------------------------------------
// Copies and casts
// ----------------------------------------------------------------------------------------------------------------
}  // namespace

// dst (=|+=) src converted to dst's dtype. A same-dtype copy onto itself is a no-op.
void CopyConvert(const TBlob &src, const TBlob &dst, OpReq req) {
  if (req == kNullOp) return;
  int64_t n = dst.Size();
  if (req != kAddTo && src.dtype == dst.dtype) {
    if (src.dptr != dst.dptr) std::memcpy(dst.dptr, src.dptr, n * DTypeSize(dst.dtype));
    return;
  }
  if (req != kAddTo && src.dtype == kFloat16 && dst.dtype == kFloat32)
    return HalfToFloatArray(src.ptr<uint16_t>(), dst.ptr<float>(), n);
  if (req != kAddTo && src.dtype == kFloat32 && dst.dtype == kFloat16)
    return FloatToHalfArray(src.ptr<float>(), dst.ptr<uint16_t>(), n);
  MXC_ANY_TYPE_SWITCH(src.dtype, S, {
    const S *s = src.ptr<S>();
    if (req == kAddTo) {
      MXC_NUMERIC_TYPE_SWITCH(dst.dtype, D, {
        D *d = dst.ptr<D>();
        ParallelFor(n, [=](int64_t i) { d[i] += Convert<D>::From_(s[i]); });
      });
    } else {
      MXC_ANY_TYPE_SWITCH(dst.dtype, D, {
        D *d = dst.ptr<D>();
        ParallelFor(n, [=](int64_t i) { d[i] = Convert<D>::From_(s[i]); });
      });
    }
  });
}

namespace {

void CopyForward(const OpContext &, const OpParams &, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                 const std::vector<TBlob> &out) {
  CopyConvert(in[0], out[0], req[0]);
}

// Gradient of copies and casts: the output gradient converted back to the input's dtype.
void CopyBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                  const std::vector<TBlob> &, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                  const std::vector<TBlob> &in_grad) {
  CopyConvert(out_grad[0], in_grad[0], req[0]);
}

void CastType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  MXC_CHECK(!p.IsNone("dtype"), ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'dtype' must be a dtype");
  TypeAssign(&(*out)[0], p.Dtype("dtype"), p.op(), "output");
  (void)in;
}

// _copyto keeps the output's dtype when it is given (a converting copy), else the input's.
void CopyToType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if ((*out)[0] < 0) (*out)[0] = (*in)[0];
  else if ((*in)[0] < 0) (*in)[0] = (*out)[0];
  (void)p;
}

// ----------------------------------------------------------------------------------------------------------------
// add_n
// ----------------------------------------------------------------------------------------------------------------
// Blocks of 1024: every input's block is read before the output block is written, so the output may share storage
// with any input.
template <typename T>
void AddNKernel(const T *const *src, size_t k, T *o, int64_t n, bool add) {
  constexpr int64_t kBlock = 1024;
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  auto block = [=](int64_t bi) {
    T acc[kBlock];
    int64_t b0 = bi * kBlock, len = std::min(kBlock, n - b0);
    const T *s0 = src[0] + b0;
    for (int64_t i = 0; i < len; ++i) acc[i] = s0[i];
    for (size_t j = 1; j < k; ++j) {
      const T *sj = src[j] + b0;
      for (int64_t i = 0; i < len; ++i) acc[i] += sj[i];
    }
    T *ob = o + b0;
    if (add)
      for (int64_t i = 0; i < len; ++i) ob[i] += acc[i];
    else
      for (int64_t i = 0; i < len; ++i) ob[i] = acc[i];
  };
#ifdef _OPENMP
  if (n * static_cast<int64_t>(k) >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t bi = 0; bi < nblocks; ++bi) block(bi);
    return;
  }
#endif
  for (int64_t bi = 0; bi < nblocks; ++bi) block(bi);
}

void AddNForward(const OpContext &, const OpParams &, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                 const std::vector<TBlob> &out) {
  if (req[0] == kNullOp) return;
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    std::vector<const T *> ptrs;
    for (auto &b : in) ptrs.push_back(b.ptr<T>());
    AddNKernel<T>(ptrs.data(), ptrs.size(), out[0].ptr<T>(), out[0].Size(), req[0] == kAddTo);
  });
}

void AddNBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                  const std::vector<TBlob> &, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                  const std::vector<TBlob> &in_grad) {
  // Inputs that may share storage with out_grad are written last.
  for (size_t i = in_grad.size(); i-- > 0;) {
    if (in_grad[i].dptr == out_grad[0].dptr) continue;
    CopyConvert(out_grad[0], in_grad[i], req[i]);
  }
  for (size_t i = 0; i < in_grad.size(); ++i)
    if (in_grad[i].dptr == out_grad[0].dptr) CopyConvert(out_grad[0], in_grad[i], req[i]);
}

void AddNShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  MXC_CHECK(p.Int("num_args") >= 1, ErrorKind::kValue, "operator ", p.op()->name,
            ": num_args must be at least 1, got ", p.Int("num_args"));
  SameShapeNamed(p, in, out);
}

int Register() {
  UnaryOp<Negative>("negative", "Numerical negative, elementwise: -x.");
  UnaryOp<Abs>("abs", "Absolute value, elementwise.");
  FlatOp<Sign>("sign", "Sign, elementwise: -1, 0 or 1.");
  UnaryOp<Exp>("exp", "Exponential, elementwise.");
  UnaryOp<Log>("log", "Natural logarithm, elementwise.");
  UnaryOp<Sqrt>("sqrt", "Square root, elementwise.");
  UnaryOp<Rsqrt>("rsqrt", "Reciprocal square root, elementwise: 1 / sqrt(x).");
  UnaryOp<Square>("square", "Square, elementwise: x * x.");
  UnaryOp<Sin>("sin", "Sine, elementwise (radians).");
  UnaryOp<Cos>("cos", "Cosine, elementwise (radians).");
  UnaryOp<Tanh>("tanh", "Hyperbolic tangent, elementwise.");
  UnaryOp<Sigmoid>("sigmoid", "Logistic sigmoid, elementwise: 1 / (1 + exp(-x)).");
  UnaryOp<Relu>("relu", "Rectified linear unit, elementwise: max(x, 0).");
  FlatOp<Floor>("floor", "Largest integer not greater than x, elementwise.");
  FlatOp<Ceil>("ceil", "Smallest integer not less than x, elementwise.");
  FlatOp<Round>("round", "Nearest integer, halves rounded away from zero, elementwise.");
  UnaryOp<Reciprocal>("reciprocal", "Reciprocal, elementwise: 1 / x.");
  UnaryOp<Log1p>("log1p", "log(1 + x), elementwise, accurate for small x.");
  UnaryOp<Expm1>("expm1", "exp(x) - 1, elementwise, accurate for small x.");

  UnaryOp<Log2>("log2", "Base-2 logarithm, elementwise.");
  UnaryOp<Log10>("log10", "Base-10 logarithm, elementwise.");
  UnaryOp<Tan>("tan", "Tangent, elementwise (radians).");
  UnaryOp<Arcsin>("arcsin", "Inverse sine, elementwise, in [-pi/2, pi/2].");
  UnaryOp<Arccos>("arccos", "Inverse cosine, elementwise, in [0, pi].");
  UnaryOp<Arctan>("arctan", "Inverse tangent, elementwise, in (-pi/2, pi/2).");
  UnaryOp<Sinh>("sinh", "Hyperbolic sine, elementwise.");
  UnaryOp<Cosh>("cosh", "Hyperbolic cosine, elementwise.");
  UnaryOp<Arcsinh>("arcsinh", "Inverse hyperbolic sine, elementwise.");
  UnaryOp<Arccosh>("arccosh", "Inverse hyperbolic cosine, elementwise.");
  UnaryOp<Arctanh>("arctanh", "Inverse hyperbolic tangent, elementwise.");
  UnaryOp<Cbrt>("cbrt", "Cube root, elementwise.");
  UnaryOp<Rcbrt>("rcbrt", "Reciprocal cube root, elementwise: 1 / cbrt(x).");
  UnaryOp<Softsign>("softsign", "Softsign, elementwise: x / (1 + |x|).");
  UnaryOp<Degrees>("degrees", "Radians to degrees, elementwise.");
  UnaryOp<Radians>("radians", "Degrees to radians, elementwise.");
  FlatOp<Trunc>("trunc", "Integer part (rounds toward zero), elementwise.");
  FlatOp<Trunc>("fix", "Rounds toward zero, elementwise (same as trunc).");
  FlatOp<Rint>("rint", "Nearest integer, halves to even, elementwise.");
  FlatOp<LogicalNot>("logical_not", "1 where x == 0, else 0 (in the input dtype).");
  UnaryOp<Erf>("erf", "Gauss error function, elementwise.");
  UnaryOp<Erfinv>("erfinv", "Inverse of the Gauss error function, elementwise (+-inf at +-1, NaN outside).");
  UnaryOp<Gamma>("gamma", "Gamma function, elementwise.");
  UnaryOp<Gammaln>("gammaln", "Natural logarithm of the absolute value of the gamma function, elementwise.");
  FlatOp<IsNanOp>("_contrib_isnan", "1 where x is NaN, else 0 (in the input dtype).");
  FlatOp<IsInfOp>("_contrib_isinf", "1 where x is +-inf, else 0 (in the input dtype).");
  FlatOp<IsFiniteOp>("_contrib_isfinite", "1 where x is neither NaN nor infinite, else 0 (in the input dtype).");

  // zeros_like / ones_like: the input's shape and dtype, constant values; zero gradient.
  UnaryBase("zeros_like", "An array of zeros with the input's shape and dtype.", kNumericTypes)
      .set_inplace({})
      .set_compute(MXC_CPU, FillLike<0>)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
  UnaryBase("ones_like", "An array of ones with the input's shape and dtype.", kNumericTypes)
      .set_inplace({})
      .set_compute(MXC_CPU, FillLike<1>)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  UnaryBase("clip", "Clips values to [a_min, a_max]: min(max(x, a_min), a_max).", kNumericTypes)
      .add_required_param("a_min", ParamKind::kFloat, "Minimum value.")
      .add_required_param("a_max", ParamKind::kFloat, "Maximum value.")
      .set_infer_shape(ClipShape)
      .set_compute(MXC_CPU, ClipForward)
      .set_backward(MXC_CPU, ClipBackward)
      .set_backward_uses(true, false);

  UnaryBase("hard_sigmoid", "Hard sigmoid, elementwise: max(0, min(1, alpha * x + beta)).", kRealTypes)
      .add_param("alpha", ParamKind::kFloat, "0.2", "Slope of the hard sigmoid.")
      .add_param("beta", ParamKind::kFloat, "0.5", "Bias of the hard sigmoid.")
      .set_compute(MXC_CPU, HardSigmoidForward)
      .set_backward(MXC_CPU, HardSigmoidBackward)
      .set_backward_uses(true, false)
      .set_backward_inplace({{0, 0}});

  OpRegistry::Get()
      ->Register("Cast")
      .describe("Converts every element to `dtype` (float to integer truncates toward zero).")
      .add_alias("cast")
      .set_inputs({"data"})
      .add_required_param("dtype", ParamKind::kDType, "Output dtype.")
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(CastType)
      .set_compute(MXC_CPU, CopyForward)
      .set_backward(MXC_CPU, CopyBackward)
      .set_backward_uses(false, false);

  UnaryBase("_copy", "Returns a copy of the input.", kAllTypes)
      .add_alias("identity")
      .set_compute(MXC_CPU, CopyForward)
      .set_backward(MXC_CPU, CopyBackward)
      .set_backward_uses(false, false);

  OpRegistry::Get()
      ->Register("_copyto")
      .describe("Copies the input into the output array (converting the dtype if the output's differs).")
      .set_inputs({"data"})
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(CopyToType)
      .set_compute(MXC_CPU, CopyForward)
      .set_backward(MXC_CPU, CopyBackward)
      .set_backward_uses(false, false);

  OpRegistry::Get()
      ->Register("add_n")
      .describe("Adds all input arguments elementwise (all of the same shape).")
      .add_alias("ElementWiseSum")
      .set_variadic("num_args", "args")
      .add_required_param("num_args", ParamKind::kInt, "Number of inputs to be summed.")
      .set_infer_shape(AddNShape)
      .set_infer_type(SameTypeIn(kNumericTypes))
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, AddNForward)
      .set_backward(MXC_CPU, AddNBackward)
      .set_backward_uses(false, false);
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
