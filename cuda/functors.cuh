// The elementwise functions of the kernels (UnaryCode/BinaryCode of kernels.cuh) and their derivatives, shared by
// the *.cu files.
#pragma once

#include <cmath>
#include <type_traits>

#include "common.cuh"
#include "kernels.cuh"

namespace mxc {
namespace cuda {

// ---- unary: f(x) and f'(x)
template <typename T>
__device__ __forceinline__ T UnaryF(int c, T x) {
  switch (c) {
    case kNegative: return -x;
    case kAbs: return x < T(0) ? -x : x;
    case kSign: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    case kExp: return exp(x);
    case kLog: return log(x);
    case kSqrt: return sqrt(x);
    case kRsqrt: return T(1) / sqrt(x);
    case kSquare: return x * x;
    case kSin: return sin(x);
    case kCos: return cos(x);
    case kTanh: return tanh(x);
    case kSigmoid: return T(1) / (T(1) + exp(-x));
    case kRelu: return x > T(0) ? x : T(0);
    case kFloor: return floor(x);
    case kCeil: return ceil(x);
    case kRound: return round(x);
    case kReciprocal: return T(1) / x;
    case kLog1p: return log1p(x);
    case kExpm1: return expm1(x);
    case kSoftrelu: return x > T(20) ? x : log1p(exp(x));
    case kSoftsign: return x / (T(1) + (x < T(0) ? -x : x));
    case kArccos: return acos(x);
    case kArccosh: return acosh(x);
    case kArcsin: return asin(x);
    case kArcsinh: return asinh(x);
    case kArctan: return atan(x);
    case kArctanh: return atanh(x);
    case kCbrt: return cbrt(x);
    case kCosh: return cosh(x);
    case kSinh: return sinh(x);
    case kTan: return tan(x);
    case kDegrees: return x * T(57.29577951308232);
    case kRadians: return x * T(0.017453292519943295);
    case kTrunc: return trunc(x);
    case kRint: {  // halves to even: a half-integer x goes to 2 * round(x / 2) (x / 2 is exact)
      T t = trunc(x), d = x - t;
      return (d == T(0.5) || d == T(-0.5)) ? T(2) * round(x * T(0.5)) : round(x);
    }
    case kLog10: return log10(x);
    case kLog2: return log2(x);
    case kLogicalNot: return x == T(0) ? T(1) : T(0);
  }
  return x;
}
template <typename T>
__device__ __forceinline__ T UnaryD(int c, T x) {
  switch (c) {
    case kNegative: return T(-1);
    case kAbs: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    case kExp: return exp(x);
    case kLog: return T(1) / x;
    case kSqrt: return T(0.5) / sqrt(x);
    case kRsqrt: return T(-0.5) / (x * sqrt(x));
    case kSquare: return T(2) * x;
    case kSin: return cos(x);
    case kCos: return -sin(x);
    case kTanh: { T t = tanh(x); return T(1) - t * t; }
    case kSigmoid: { T y = T(1) / (T(1) + exp(-x)); return y * (T(1) - y); }
    case kRelu: return x > T(0) ? T(1) : T(0);
    case kReciprocal: return T(-1) / (x * x);
    case kLog1p: return T(1) / (T(1) + x);
    case kExpm1: return exp(x);
    case kSoftrelu: return T(1) / (T(1) + exp(-x));
    case kSoftsign: { T a = T(1) + (x < T(0) ? -x : x); return T(1) / (a * a); }
    case kArccos: return T(-1) / sqrt(T(1) - x * x);
    case kArccosh: return T(1) / sqrt(x * x - T(1));
    case kArcsin: return T(1) / sqrt(T(1) - x * x);
    case kArcsinh: return T(1) / sqrt(x * x + T(1));
    case kArctan: return T(1) / (T(1) + x * x);
    case kArctanh: return T(1) / (T(1) - x * x);
    case kCbrt: { T y = cbrt(x); return T(1) / (T(3) * y * y); }
    case kCosh: return sinh(x);
    case kSinh: return cosh(x);
    case kTan: { T y = tan(x); return T(1) + y * y; }
    case kDegrees: return T(57.29577951308232);
    case kRadians: return T(0.017453292519943295);
    case kLog10: return T(1) / (x * T(2.302585092994046));
    case kLog2: return T(1) / (x * T(0.6931471805599453));
  }
  return T(0);  // sign, floor, ceil, round, trunc, rint, logical_not
}

// The derivative from the output y = f(x), for the codes whose CPU backward reads only the output (the executor and
// autograd then keep no input for it) or nothing (a constant derivative; y is then not read); UnaryGradOutOk lists
// them.
template <typename T>
__device__ __forceinline__ T UnaryDOut(int c, T y) {
  switch (c) {
    case kExp: return y;
    case kSqrt: return T(0.5) / y;
    case kRsqrt: return T(-0.5) * y * y * y;
    case kTanh: return T(1) - y * y;
    case kSigmoid: return y * (T(1) - y);
    case kRelu: return y > T(0) ? T(1) : T(0);
    case kReciprocal: return -y * y;
    case kExpm1: return y + T(1);
    case kSoftrelu: return -expm1(-y);  // sigmoid(x) = 1 - exp(-softrelu(x))
    case kSoftsign: { T a = T(1) - (y < T(0) ? -y : y); return a * a; }  // 1 / (1 + |x|)^2 = (1 - |y|)^2
    case kCbrt: return T(1) / (T(3) * y * y);
    case kTan: return T(1) + y * y;
    case kNegative: return T(-1);
    case kDegrees: return T(57.29577951308232);
    case kRadians: return T(0.017453292519943295);
  }
  return T(0);  // sign, floor, ceil, round, trunc, rint, logical_not: piecewise constant
}

// ---- binary: f(a, b), df/da, df/db
// max, min (NaN propagates from a) and the comparisons (1 or 0), for any numeric T; 0 for other codes.
template <typename T>
__device__ __forceinline__ T OrderF(int c, T a, T b) {
  switch (c) {
    case kMax: return (a > b || a != a) ? a : b;
    case kMin: return (a < b || a != a) ? a : b;
    case kEq: return a == b ? T(1) : T(0);
    case kNe: return a != b ? T(1) : T(0);
    case kGt: return a > b ? T(1) : T(0);
    case kGe: return a >= b ? T(1) : T(0);
    case kLt: return a < b ? T(1) : T(0);
    case kLe: return a <= b ? T(1) : T(0);
  }
  return T(0);
}
template <typename T>
__device__ __forceinline__ T BinF(int c, T a, T b) {
  switch (c) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    case kMod: {
      if (b == T(0)) return T(0);
      T r = fmod(a, b);
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    }
    case kPow: return pow(a, b);
  }
  return OrderF(c, a, b);
}
template <typename T>
__device__ __forceinline__ T BinDL(int c, T a, T b) {
  switch (c) {
    case kAdd: case kSub: case kMod: return T(1);
    case kMul: return b;
    case kDiv: return T(1) / b;
    case kPow: return b * pow(a, b - T(1));
    case kMax: return a >= b ? T(1) : T(0);
    case kMin: return a <= b ? T(1) : T(0);
  }
  return T(0);
}
template <typename T>
__device__ __forceinline__ T BinDR(int c, T a, T b) {
  switch (c) {
    case kAdd: return T(1);
    case kSub: return T(-1);
    case kMul: return a;
    case kDiv: return -a / (b * b);
    case kMod: return -floor(a / b);
    case kPow: return pow(a, b) * log(a);
    case kMax: return a >= b ? T(0) : T(1);
    case kMin: return a <= b ? T(0) : T(1);
  }
  return T(0);
}

// ---- integers (uint8, int8, int32, int64), forward only, as the CPU computes them (core/ops/elemwise_util.h,
// elemwise_unary.cc): arithmetic wraps around (done in unsigned 64-bit arithmetic, so that overflow is defined),
// x / 0 = x % 0 = 0, x / -1 negates with wrap-around, x % -1 = 0, the modulo takes the divisor's sign (Python's),
// powers are exact with wrap-around and a negative exponent truncates toward zero; rounding is the identity.
template <typename T>
__device__ __forceinline__ T IntBinF(int c, T a, T b) {
  typedef unsigned long long U;
  constexpr bool kSigned = std::is_signed<T>::value;
  switch (c) {
    case kAdd: return static_cast<T>(U(a) + U(b));
    case kSub: return static_cast<T>(U(a) - U(b));
    case kMul: return static_cast<T>(U(a) * U(b));
    case kDiv:
      if (b == T(0)) return T(0);
      if (kSigned && b == static_cast<T>(-1)) return static_cast<T>(U(0) - U(a));
      return static_cast<T>(a / b);
    case kMod: {
      if (b == T(0) || (kSigned && b == static_cast<T>(-1))) return T(0);
      T r = static_cast<T>(a % b);
      if (kSigned && r != T(0) && ((r < T(0)) != (b < T(0)))) r = static_cast<T>(r + b);
      return r;
    }
    case kPow: {
      if (kSigned && b < T(0)) {
        if (a == T(1)) return T(1);
        if (a == static_cast<T>(-1)) return (b % 2) ? static_cast<T>(-1) : T(1);
        return T(0);
      }
      U base = U(a), r = 1;
      for (U e = U(b); e; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
      }
      return static_cast<T>(r);
    }
  }
  return OrderF(c, a, b);
}
// The unary functions that take integers (the others are float-only on the CPU too): see IntUnaryOk.
template <typename T>
__device__ __forceinline__ T IntUnaryF(int c, T x) {
  typedef unsigned long long U;
  switch (c) {
    case kNegative: return static_cast<T>(U(0) - U(x));
    case kAbs:
      if constexpr (std::is_signed<T>::value) return x < T(0) ? static_cast<T>(U(0) - U(x)) : x;
      else return x;
    case kSign:
      if constexpr (std::is_signed<T>::value) return x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : T(0));
      else return x > T(0) ? T(1) : T(0);
    case kSquare: return static_cast<T>(U(x) * U(x));
    case kRelu: return x > T(0) ? x : T(0);
    case kLogicalNot: return x == T(0) ? T(1) : T(0);
  }
  return x;  // floor, ceil, round, rint, trunc
}
// The forward functions for any numeric T.
template <typename T>
__device__ __forceinline__ T BinAny(int c, T a, T b) {
  if constexpr (std::is_integral<T>::value) return IntBinF(c, a, b);
  else return BinF(c, a, b);
}
template <typename T>
__device__ __forceinline__ T UnaryAny(int c, T x) {
  if constexpr (std::is_integral<T>::value) return IntUnaryF(c, x);
  else return UnaryF(c, x);
}

}  // namespace cuda
}  // namespace mxc
