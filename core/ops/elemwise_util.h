// Shared pieces of the elementwise operator family (elemwise_*.cc, slice_assign.cc, random_ops.cc):
// dtype sets and their inference checks, float16 conversions, the scalar functors of the binary operators (used by the
// same-shape, broadcasting and scalar forms alike) and contiguous loops that honour OpReq (MapOut, op_util.h).
#pragma once

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "op_util.h"

namespace mxc {
namespace op {
namespace elem {

// ----------------------------------------------------------------------------------------------------------------
// Dtype sets
// ----------------------------------------------------------------------------------------------------------------
constexpr unsigned TypeBit(int dtype) { return 1u << dtype; }
constexpr unsigned kRealTypes = TypeBit(kFloat32) | TypeBit(kFloat64);
constexpr unsigned kIntTypes = TypeBit(kUint8) | TypeBit(kInt8) | TypeBit(kInt32) | TypeBit(kInt64);
constexpr unsigned kNumericTypes = kRealTypes | kIntTypes;
constexpr unsigned kAllTypes = kNumericTypes | TypeBit(kFloat16) | TypeBit(kBool);

// "float32, float64"
inline std::string TypeSetStr(unsigned mask) {
  std::string s;
  for (int t = 0; t < 8; ++t)
    if (mask & TypeBit(t)) s += (s.empty() ? "" : ", ") + std::string(DTypeName(t));
  return s;
}

// TypeError naming the operator and the argument unless dtype (if known) is in mask.
inline void CheckTypeIn(int dtype, unsigned mask, const OpParams &p, const std::string &arg) {
  if (dtype < 0 || (mask & TypeBit(dtype))) return;
  Throw(ErrorKind::kType, "operator ", p.op()->name, ": '", arg, "' has dtype ", DTypeName(dtype),
        ", which is not supported (supported: ", TypeSetStr(mask), ")");
}

// Every input and output share one dtype, which must be in mask.
inline FInferType SameTypeIn(unsigned mask) {
  return [mask](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
    SameTypeInfer(p, in, out);
    bool ok = true;  // the input names (strings) are only built for an error message
    for (int t : *in) ok = ok && (t < 0 || (mask & TypeBit(t)));
    for (int t : *out) ok = ok && (t < 0 || (mask & TypeBit(t)));
    if (ok) return;
    auto names = p.op()->InputNames(p);
    for (size_t i = 0; i < in->size(); ++i)
      CheckTypeIn((*in)[i], mask, p, i < names.size() ? names[i] : "input");
    for (auto t : *out) CheckTypeIn(t, mask, p, "output");
  };
}

// Dispatch over the arithmetic dtypes (no bool, no float16).
#define MXC_NUMERIC_TYPE_SWITCH(code, DType, ...)                                              \
  switch (code) {                                                                              \
    case ::mxc::kFloat32: { typedef float DType; __VA_ARGS__; } break;                         \
    case ::mxc::kFloat64: { typedef double DType; __VA_ARGS__; } break;                        \
    case ::mxc::kUint8: { typedef uint8_t DType; __VA_ARGS__; } break;                         \
    case ::mxc::kInt32: { typedef int32_t DType; __VA_ARGS__; } break;                         \
    case ::mxc::kInt8: { typedef int8_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kInt64: { typedef int64_t DType; __VA_ARGS__; } break;                         \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "dtype ", ::mxc::DTypeName(code),           \
                          " is not supported by this operation");                              \
  }

// ----------------------------------------------------------------------------------------------------------------
// float16 (storage only): IEEE 754 binary16 conversions, round to nearest even.
// ----------------------------------------------------------------------------------------------------------------
struct Half {
  uint16_t bits;
};

inline uint16_t FloatToHalfBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mant = x & 0x7fffffu;
  int exp = static_cast<int>((x >> 23) & 0xffu);
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u));
  int e = exp - 127 + 15;  // biased half exponent
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow: infinity
  if (e <= 0) {                                                   // half subnormal (or zero)
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    int shift = 14 - e;
    uint32_t h = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry rounds up into the exponent (or to inf)
  return static_cast<uint16_t>(h);
}

inline float HalfBitsToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  uint32_t x = exp == 0x1f ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

// Whole arrays between float16 (as bits) and float32, as HalfBitsToFloat / FloatToHalfBits per element
// (half_convert.cc: F16C instructions where the processor has them, unless `portable`).
void HalfToFloatArray(const uint16_t *src, float *dst, int64_t n, bool portable = false);
void FloatToHalfArray(const float *src, uint16_t *dst, int64_t n, bool portable = false);

// Value conversion between any two storage types. Floating values convert to integers through int64 (so that -2.7
// becomes 254 as uint8, as in MXNet) with NaN and out-of-range values mapped to INT64_MIN instead of undefined
// behaviour.
template <typename To>
struct Convert {
  template <typename From>
  static To From_(From v) {
    if constexpr (std::is_integral<To>::value && !std::is_same<To, bool>::value &&
                  std::is_floating_point<From>::value) {
      int64_t i = (v == v && v < 9.2e18 && v > -9.2e18) ? static_cast<int64_t>(v)
                                                         : std::numeric_limits<int64_t>::min();
      return static_cast<To>(i);
    } else {
      return static_cast<To>(v);
    }
  }
  static To From_(Half h) { return From_(HalfBitsToFloat(h.bits)); }
};
template <>
struct Convert<Half> {
  template <typename From>
  static Half From_(From v) { return Half{FloatToHalfBits(static_cast<float>(v))}; }
  static Half From_(Half h) { return h; }
};

// Dispatch over every dtype, float16 as Half.
#define MXC_ANY_TYPE_SWITCH(code, DType, ...)                                                  \
  switch (code) {                                                                              \
    case ::mxc::kFloat16: { typedef ::mxc::op::elem::Half DType; __VA_ARGS__; } break;         \
    case ::mxc::kBool: { typedef bool DType; __VA_ARGS__; } break;                             \
    default: MXC_NUMERIC_TYPE_SWITCH(code, DType, __VA_ARGS__);                                \
  }

// ----------------------------------------------------------------------------------------------------------------
// Binary functors: Map(a, b) is the forward value; GradL/GradR are d Map / d a and d Map / d b (real types only).
// Integer division and modulo by zero give 0 (never a trap), MIN / -1 wraps.
// ----------------------------------------------------------------------------------------------------------------
template <typename T>
inline bool IsNan(T v) {
  if constexpr (std::is_floating_point<T>::value) return v != v;
  else return false;
}

struct Add {
  template <typename T> static T Map(T a, T b) { return a + b; }
  template <typename T> static T GradL(T, T) { return T(1); }
  template <typename T> static T GradR(T, T) { return T(1); }
};
struct Sub {
  template <typename T> static T Map(T a, T b) { return a - b; }
  template <typename T> static T GradL(T, T) { return T(1); }
  template <typename T> static T GradR(T, T) { return T(-1); }
};
struct Mul {
  template <typename T> static T Map(T a, T b) { return a * b; }
  template <typename T> static T GradL(T, T b) { return b; }
  template <typename T> static T GradR(T a, T) { return a; }
};
struct Div {
  template <typename T> static T Map(T a, T b) {
    if constexpr (std::is_integral<T>::value) {
      if (b == 0) return T(0);
      if constexpr (std::is_signed<T>::value) {
        if (b == T(-1)) return static_cast<T>(0 - static_cast<typename std::make_unsigned<T>::type>(a));
      }
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
  template <typename T> static T GradL(T, T b) { return T(1) / b; }
  template <typename T> static T GradR(T a, T b) { return -a / (b * b); }
};
// Python's modulo: the result takes the sign of the divisor; x % 0 = 0 (MXNet).
struct Mod {
  template <typename T> static T Map(T a, T b) {
    if (b == T(0)) return T(0);
    if constexpr (std::is_integral<T>::value) {
      if constexpr (std::is_signed<T>::value) {
        if (b == T(-1)) return T(0);
      }
      T r = static_cast<T>(a % b);
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      T r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
  template <typename T> static T GradL(T, T) { return T(1); }
  template <typename T> static T GradR(T a, T b) { return -std::floor(a / b); }
};
struct Power {
  template <typename T> static T Map(T a, T b) {
    if constexpr (std::is_integral<T>::value) {
      // Exact integer power with wrap-around; negative exponents truncate toward zero.
      using U = typename std::make_unsigned<T>::type;
      if (b < 0) {
        if (a == 1) return T(1);
        if (a == T(-1)) return (b % 2) ? T(-1) : T(1);
        return T(0);
      }
      U base = static_cast<U>(a), r = 1;
      for (uint64_t e = static_cast<uint64_t>(b); e; e >>= 1) {
        if (e & 1) r = static_cast<U>(r * base);
        base = static_cast<U>(base * base);
      }
      return static_cast<T>(r);
    } else {
      return std::pow(a, b);
    }
  }
  template <typename T> static T GradL(T a, T b) { return b * std::pow(a, b - T(1)); }
  template <typename T> static T GradR(T a, T b) { return std::pow(a, b) * std::log(a); }
};
// NaN propagates (as in MXNet); ties send the gradient to the left operand.
struct Maximum {
  template <typename T> static T Map(T a, T b) { return (a > b || IsNan(a)) ? a : b; }
  template <typename T> static T GradL(T a, T b) { return a >= b ? T(1) : T(0); }
  template <typename T> static T GradR(T a, T b) { return a >= b ? T(0) : T(1); }
};
struct Minimum {
  template <typename T> static T Map(T a, T b) { return (a < b || IsNan(a)) ? a : b; }
  template <typename T> static T GradL(T a, T b) { return a <= b ? T(1) : T(0); }
  template <typename T> static T GradR(T a, T b) { return a <= b ? T(0) : T(1); }
};
// sqrt(a^2 + b^2) without overflow; gradients a / h and b / h.
struct Hypot {
  template <typename T> static T Map(T a, T b) {
    return static_cast<T>(std::hypot(static_cast<double>(a), static_cast<double>(b)));
  }
  template <typename T> static T GradL(T a, T b) { return a / Map(a, b); }
  template <typename T> static T GradR(T a, T b) { return b / Map(a, b); }
};
#define MXC_ELEM_COMPARE(Name, expr)                                   \
  struct Name {                                                        \
    template <typename T> static T Map(T a, T b) { return (expr) ? T(1) : T(0); } \
    template <typename T> static T GradL(T, T) { return T(0); }        \
    template <typename T> static T GradR(T, T) { return T(0); }        \
  };
MXC_ELEM_COMPARE(Equal, a == b)
MXC_ELEM_COMPARE(NotEqual, a != b)
MXC_ELEM_COMPARE(Greater, a > b)
MXC_ELEM_COMPARE(GreaterEqual, a >= b)
MXC_ELEM_COMPARE(Lesser, a < b)
MXC_ELEM_COMPARE(LesserEqual, a <= b)
MXC_ELEM_COMPARE(LogicalAnd, a != T(0) && b != T(0))
MXC_ELEM_COMPARE(LogicalOr, a != T(0) || b != T(0))
MXC_ELEM_COMPARE(LogicalXor, (a != T(0)) != (b != T(0)))
#undef MXC_ELEM_COMPARE

// ----------------------------------------------------------------------------------------------------------------
// Loops
// ----------------------------------------------------------------------------------------------------------------
// The family's loop over contiguous outputs, shared with the other operators (op_util.h).
using op::MapOut;

// A blob of zeros-or-nothing: writes 0 (kWriteTo/kWriteInplace), leaves kAddTo and kNullOp alone.
inline void ZeroGrad(const TBlob &b, OpReq req) {
  if (req != kWriteTo && req != kWriteInplace) return;
  std::memset(b.dptr, 0, b.Size() * DTypeSize(b.dtype));
}

// Same-shape inference with a message that names the operator and every input shape.
inline void SameShapeNamed(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape s;
  bool ok = true;
  auto unify = [&](const TShape &x) {
    if (x.empty() || !ok) return;
    if (s.empty()) { s = x; return; }
    if (s.size() != x.size()) { ok = false; return; }
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == 0) s[i] = x[i];
      else if (x[i] != 0 && x[i] != s[i]) ok = false;
    }
  };
  for (auto &x : *in) unify(x);
  for (auto &x : *out) unify(x);
  if (!ok) {
    auto names = p.op()->InputNames(p);
    std::string desc;
    for (size_t i = 0; i < in->size(); ++i)
      desc += (i ? ", " : "") + (i < names.size() ? names[i] : "input") + " " + ShapeStr((*in)[i]);
    if (!out->empty() && !(*out)[0].empty()) desc += ", output " + ShapeStr((*out)[0]);
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inputs must have the same shape, got ", desc);
  }
  for (auto &x : *in)
    if (x != s) ShapeAssign(&x, s, p.op(), "input");
  for (auto &x : *out)
    if (x != s) ShapeAssign(&x, s, p.op(), "output");
}

}  // namespace elem

// dst (=|+=) src converted to dst's dtype (any dtypes; float16 <-> float32 vectorised). A same-dtype copy onto itself
// is a no-op. (elemwise_unary.cc: Cast and _copyto; amp_ops.cc.)
void CopyConvert(const TBlob &src, const TBlob &dst, OpReq req);

}  // namespace op
}  // namespace mxc
