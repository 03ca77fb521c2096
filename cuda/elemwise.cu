// Creation, copies/casts and elementwise kernels.
#include <cmath>

#include "common.cuh"
#include "functors.cuh"
#include "kernels.cuh"

namespace mxc {
namespace cuda {

// ------------------------------------------------------------------------------------------------- fill and cast
template <typename T>
__global__ void FillK(T *o, int64_t n, T v, int req) {
  MXC_CUDA_LOOP(i, n) Store(o + i, req, v);
}

template <typename To, typename From>
__global__ void CastK(const From *src, To *dst, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    To v = CvtFrom<To>::F(src[i]);
    if (req == 3) dst[i] = CvtFrom<To>::F(static_cast<double>(CvtFrom<double>::F(dst[i]) + CvtFrom<double>::F(v)));
    else dst[i] = v;
  }
}

#define MXC_ANY_SWITCH(code, T, ...)                      \
  switch (code) {                                         \
    case kF32: { typedef float T; __VA_ARGS__; } break;   \
    case kF64: { typedef double T; __VA_ARGS__; } break;  \
    case kF16: { typedef __half T; __VA_ARGS__; } break;  \
    case kU8: { typedef uint8_t T; __VA_ARGS__; } break;  \
    case kI32: { typedef int32_t T; __VA_ARGS__; } break; \
    case kI8: { typedef int8_t T; __VA_ARGS__; } break;   \
    case kI64: { typedef int64_t T; __VA_ARGS__; } break; \
    case kBool: { typedef bool T; __VA_ARGS__; } break;   \
    default: break;                                       \
  }

void Fill(int dtype, void *out, int64_t n, double value, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_ANY_SWITCH(dtype, T, {
    T v = CvtFrom<T>::F(value);
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, FillK<T>)(static_cast<T *>(out), n, v, req);
  });
}

void Cast(int src_dtype, const void *src, int dst_dtype, void *dst, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  if (src_dtype == dst_dtype && req != 3) {
    static const int sizes[] = {4, 8, 2, 1, 4, 1, 8, 1};
    if (src != dst) cudaMemcpyAsync(dst, src, n * sizes[src_dtype], cudaMemcpyDeviceToDevice, s);
    return;
  }
  MXC_ANY_SWITCH(src_dtype, F, {
    MXC_ANY_SWITCH(dst_dtype, D, {
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, CastK<D, F>)(static_cast<const F *>(src), static_cast<D *>(dst), n, req);
    });
  });
}

// ------------------------------------------------------------------------------------------------- unary
template <typename T>
__global__ void UnaryK(int c, const T *x, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(y + i, req, UnaryAny(c, x[i]));
}
template <typename T>
__global__ void UnaryGradK(int c, const T *g, const T *x, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, g[i] * UnaryD(c, x[i]));
}

bool IntUnaryOk(int c) {
  return c == kNegative || c == kAbs || c == kSign || c == kSquare || c == kRelu || c == kLogicalNot || c == kFloor ||
         c == kCeil || c == kRound || c == kRint || c == kTrunc;
}
void Unary(int code, int dtype, const void *x, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, UnaryK<T>)(code, static_cast<const T *>(x), static_cast<T *>(y), n, req);
  });
}
void UnaryGrad(int code, int dtype, const void *g, const void *x, void *gx, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, UnaryGradK<T>)(code, static_cast<const T *>(g), static_cast<const T *>(x),
                                                 static_cast<T *>(gx), n, req);
  });
}

template <typename T>
__global__ void UnaryGradOutK(int c, const T *g, const T *y, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, g[i] * UnaryDOut(c, y ? y[i] : T(0)));
}
// The codes whose derivative needs neither x nor y.
bool UnaryGradConst(int c) {
  return c == kNegative || c == kDegrees || c == kRadians || c == kSign || c == kFloor || c == kCeil || c == kRound ||
         c == kTrunc || c == kRint || c == kLogicalNot;
}
bool UnaryGradOutOk(int c) {
  return c == kExp || c == kSqrt || c == kRsqrt || c == kTanh || c == kSigmoid || c == kRelu || c == kReciprocal ||
         c == kExpm1 || c == kSoftrelu || c == kSoftsign || c == kCbrt || c == kTan || UnaryGradConst(c);
}
void UnaryGradOut(int code, int dtype, const void *g, const void *y, void *gx, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, UnaryGradOutK<T>)(code, static_cast<const T *>(g),
                                                            static_cast<const T *>(y), static_cast<T *>(gx), n, req);
  });
}
template <typename T>
__global__ void ScaledProductK(const T *g, const T *y, T scale, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(gx + i, req, g[i] * (y[i] * scale));
}
void ScaledProduct(int dtype, const void *g, const void *y, double scale, void *gx, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ScaledProductK<T>)(static_cast<const T *>(g), static_cast<const T *>(y),
                                                             static_cast<T>(scale), static_cast<T *>(gx), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- binary
template <typename T>
__global__ void BinK(int c, const T *a, const T *b, T *o, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(o + i, req, BinAny(c, a[i], b[i]));
}
template <typename T>
__global__ void BinGradK(int c, const T *g, const T *a, const T *b, T *ga, int ra, T *gb, int rb, int64_t n) {
  MXC_CUDA_LOOP(i, n) {
    T gi = g[i], ai = a ? a[i] : T(0), bi = b ? b[i] : T(0);
    T va = gi * BinDL(c, ai, bi), vb = gi * BinDR(c, ai, bi);
    if (ra) Store(ga + i, ra, va);
    if (rb) Store(gb + i, rb, vb);
  }
}
template <typename T>
__global__ void ScalarK(int c, const T *x, T sc, bool rev, T *o, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(o + i, req, rev ? BinAny(c, sc, x[i]) : BinAny(c, x[i], sc));
}
template <typename T>
__global__ void ScalarGradK(int c, const T *g, const T *x, T sc, bool rev, T *gx, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    T xi = x ? x[i] : T(0);
    Store(gx + i, req, g[i] * (rev ? BinDR(c, sc, xi) : BinDL(c, xi, sc)));
  }
}

void Binary(int code, int dtype, const void *a, const void *b, void *out, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, BinK<T>)(code, static_cast<const T *>(a), static_cast<const T *>(b),
                                           static_cast<T *>(out), n, req);
  });
}
void BinaryGrad(int code, int dtype, const void *g, const void *a, const void *b, void *ga, int req_a, void *gb,
                int req_b, int64_t n, cudaStream_t s) {
  if (n == 0 || (req_a == 0 && req_b == 0)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, BinGradK<T>)(code, static_cast<const T *>(g), static_cast<const T *>(a),
                                               static_cast<const T *>(b), static_cast<T *>(ga), req_a,
                                               static_cast<T *>(gb), req_b, n);
  });
}
void Scalar(int code, int dtype, const void *x, double scalar, bool reverse, void *out, int64_t n, int req,
            cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ScalarK<T>)(code, static_cast<const T *>(x), CvtFrom<T>::F(scalar), reverse,
                                              static_cast<T *>(out), n, req);
  });
}
void ScalarGrad(int code, int dtype, const void *g, const void *x, double scalar, bool reverse, void *gx, int64_t n,
                int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ScalarGradK<T>)(code, static_cast<const T *>(g), static_cast<const T *>(x),
                                                  static_cast<T>(scalar), reverse, static_cast<T *>(gx), n, req);
  });
}

// ------------------------------------------------------------------------------------------------- random
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
__device__ __forceinline__ uint4 Philox(uint4 c, uint2 k) {
  for (int r = 0; r < 10; ++r) {
    unsigned hi0 = __umulhi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
    unsigned hi1 = __umulhi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
    c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k.x += 0x9E3779B9u;
    k.y += 0xBB67AE85u;
  }
  return c;
}
__device__ __forceinline__ double U01(unsigned v) { return (v + 0.5) * (1.0 / 4294967296.0); }

template <typename T>
__global__ void RandomK(int dist, double a, double b, uint2 key, T *o, int64_t n) {
  MXC_CUDA_LOOP(q, (n + 3) / 4) {
    uint4 r = Philox(make_uint4(static_cast<unsigned>(q), static_cast<unsigned>(q >> 32), 0x5EED, 0), key);
    double v[4];
    if (dist == 0) {
      v[0] = U01(r.x); v[1] = U01(r.y); v[2] = U01(r.z); v[3] = U01(r.w);
      for (int j = 0; j < 4; ++j) v[j] = a + (b - a) * v[j];
    } else {  // Box-Muller
      double r1 = sqrt(-2.0 * log(U01(r.x))), r2 = sqrt(-2.0 * log(U01(r.z)));
      double t1 = 6.283185307179586 * U01(r.y), t2 = 6.283185307179586 * U01(r.w);
      v[0] = r1 * cos(t1); v[1] = r1 * sin(t1); v[2] = r2 * cos(t2); v[3] = r2 * sin(t2);
      for (int j = 0; j < 4; ++j) v[j] = a + b * v[j];
    }
    for (int j = 0; j < 4; ++j) {
      int64_t i = q * 4 + j;
      if (i < n) {
        T x = static_cast<T>(v[j]);
        if (dist == 0 && !(x < static_cast<T>(b)) && b > a) x = static_cast<T>(a);  // keep [a, b) after rounding
        o[i] = x;
      }
    }
  }
}

void Random(int dtype, int dist, double a, double b, uint64_t key, void *out, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  uint2 k = make_uint2(static_cast<unsigned>(key), static_cast<unsigned>(key >> 32));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks((n + 3) / 4), kThreads, 0, s, RandomK<T>)(dist, a, b, k, static_cast<T *>(out), n);
  });
}

}  // namespace cuda
}  // namespace mxc
