// smooth_l1, SequenceMask, SequenceReverse, SequenceLast and UpSampling (nearest): the kernels of kernels_seq.cuh.
// One thread per output element (grid-stride loops); the UpSampling gradient sums its scale x scale block in one
// thread (no atomics: the result does not depend on the order of threads).
#include <type_traits>

#include "common.cuh"
#include "kernels_seq.cuh"

namespace mxc {
namespace cuda {

namespace {

// The arithmetic type of smooth_l1: float for float32, double for the others (as the CPU).
template <typename T> struct SL1Calc { typedef double type; };
template <> struct SL1Calc<float> { typedef float type; };

template <typename C>
__device__ __forceinline__ C SmoothL1Val(C x, C bsq) {
  const C ib = C(1) / bsq;
  if (x > ib) return x - C(0.5) * ib;
  if (x < -ib) return -x - C(0.5) * ib;
  return C(0.5) * x * x * bsq;
}

template <typename T>
__global__ void SmoothL1K(const T *x, T *y, int64_t n, typename SL1Calc<T>::type bsq, int req) {
  typedef typename SL1Calc<T>::type C;
  MXC_CUDA_LOOP(i, n) { Store(y + i, req, CvtFrom<T>::F(SmoothL1Val<C>(static_cast<C>(x[i]), bsq))); }
}

template <typename T>
__global__ void SmoothL1GradK(const T *dy, const T *x, T *dx, int64_t n, T bsq, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T ib = T(1) / bsq, v = x[i];
    const T d = v > ib ? T(1) : (v < -ib ? T(-1) : bsq * v);
    Store(dx + i, req, dy[i] * d);
  }
}

// len[b] truncated towards zero (NaN: 0).
template <typename L>
__device__ __forceinline__ int64_t LengthAt(const L *len, int64_t b) {
  const double v = static_cast<double>(len[b]);
  if (v != v) return 0;
  return static_cast<int64_t>(v < -9.0e18 ? -9.0e18 : (v > 9.0e18 ? 9.0e18 : v));
}

template <typename T, typename L>
__global__ void SequenceMaskK(const T *x, T *y, const L *len, int64_t T_, int64_t N, int64_t rest, bool batch_major,
                              T value, int req) {
  MXC_CUDA_LOOP(i, T_ * N * rest) {
    bool keep = true;
    if (len) {
      const int64_t j = i / rest;
      const int64_t t = batch_major ? j % T_ : j / N, b = batch_major ? j / T_ : j % N;
      keep = t < LengthAt(len, b);
    }
    Store(y + i, req, keep ? x[i] : value);
  }
}

// The length of sequence b clamped to [lo, T_] (no lengths: T_).
template <typename L>
__device__ __forceinline__ int64_t ClampedLen(const L *len, int64_t b, int64_t lo, int64_t T_) {
  if (!len) return T_;
  const int64_t v = LengthAt(len, b);
  return v < lo ? lo : (v > T_ ? T_ : v);
}

// Element i of a (T, N, rest) or (N, T, rest) array: its step t, sequence b and offset k within the step.
struct SeqPos {
  int64_t t, b, k;
};
__device__ __forceinline__ SeqPos PosOf(int64_t i, int64_t T_, int64_t N, int64_t rest, bool batch_major) {
  const int64_t j = i / rest;
  return {batch_major ? j % T_ : j / N, batch_major ? j / T_ : j % N, i % rest};
}
__device__ __forceinline__ int64_t OffsetOf(int64_t t, int64_t b, int64_t k, int64_t T_, int64_t N, int64_t rest,
                                            bool batch_major) {
  return (batch_major ? b * T_ + t : t * N + b) * rest + k;
}

template <typename T, typename L>
__global__ void SeqReverseK(const T *x, T *y, const L *len, int64_t T_, int64_t N, int64_t rest, bool batch_major,
                            int req) {
  MXC_CUDA_LOOP(i, T_ * N * rest) {
    const SeqPos q = PosOf(i, T_, N, rest, batch_major);
    const int64_t n = ClampedLen(len, q.b, 0, T_), st = q.t < n ? n - 1 - q.t : q.t;
    Store(y + i, req, x[OffsetOf(st, q.b, q.k, T_, N, rest, batch_major)]);
  }
}

template <typename T, typename L>
__global__ void SeqLastK(const T *x, T *y, const L *len, int64_t T_, int64_t N, int64_t rest, bool batch_major,
                         int req) {
  MXC_CUDA_LOOP(i, N * rest) {
    const int64_t b = i / rest, t = ClampedLen(len, b, 1, T_) - 1;
    Store(y + i, req, x[OffsetOf(t, b, i % rest, T_, N, rest, batch_major)]);
  }
}

template <typename T, typename L>
__global__ void SeqLastGradK(const T *dy, T *dx, const L *len, int64_t T_, int64_t N, int64_t rest, bool batch_major,
                             int req) {
  MXC_CUDA_LOOP(i, T_ * N * rest) {
    const SeqPos q = PosOf(i, T_, N, rest, batch_major);
    Store(dx + i, req, q.t == ClampedLen(len, q.b, 1, T_) - 1 ? dy[q.b * rest + q.k] : T(0));
  }
}

// f(lengths pointer of their dtype), a null float pointer without lengths.
template <typename F>
void WithLengths(int len_dtype, const void *len, F f) {
  if (!len) return f(static_cast<const float *>(nullptr));
  MXC_CUDA_NUMERIC_SWITCH(len_dtype, L, { f(static_cast<const L *>(len)); });
}

template <typename T>
__global__ void UpNearestK(const T *x, T *y, int64_t planes, int64_t H, int64_t W, int64_t s, int req) {
  const int64_t OH = H * s, OW = W * s;
  MXC_CUDA_LOOP(i, planes * OH * OW) {
    const int64_t ox = i % OW, r = i / OW, oy = r % OH, pl = r / OH;
    Store(y + i, req, x[(pl * H + oy / s) * W + ox / s]);
  }
}

template <typename T>
__global__ void UpNearestGradK(const T *dy, T *dx, int64_t planes, int64_t H, int64_t W, int64_t s, int req) {
  const int64_t OW = W * s;
  MXC_CUDA_LOOP(i, planes * H * W) {
    const int64_t ix = i % W, r = i / W, iy = r % H, pl = r / H;
    T acc = 0;
    for (int64_t a = 0; a < s; ++a) {
      const T *dr = dy + (pl * H * s + iy * s + a) * OW + ix * s;
      for (int64_t b = 0; b < s; ++b) acc += dr[b];
    }
    Store(dx + i, req, acc);
  }
}

}  // namespace

void SmoothL1(int dtype, const void *x, void *y, int64_t n, double scalar, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    typedef typename SL1Calc<T>::type C;
    const C sigma = static_cast<C>(CvtFrom<T>::F(scalar));
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SmoothL1K<T>)(static_cast<const T *>(x), static_cast<T *>(y), n,
                                                         sigma * sigma, req);
  });
}

void SmoothL1Grad(int dtype, const void *dy, const void *x, void *dx, int64_t n, double scalar, int req,
                  cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    const T sigma = static_cast<T>(scalar);
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SmoothL1GradK<T>)(static_cast<const T *>(dy), static_cast<const T *>(x),
                                                             static_cast<T *>(dx), n, sigma * sigma, req);
  });
}

void SequenceMask(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T_, int64_t N,
                  int64_t rest, bool batch_major, double value, int req, cudaStream_t s) {
  const int64_t n = T_ * N * rest;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    const T v = CvtFrom<T>::F(value);
    if (!len) {
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, SequenceMaskK<T, float>)(
          static_cast<const T *>(x), static_cast<T *>(y), static_cast<const float *>(nullptr), T_, N, rest, batch_major, v, req);
    } else {
      MXC_CUDA_NUMERIC_SWITCH(len_dtype, L, {
        MXC_LAUNCH(Blocks(n), kThreads, 0, s, SequenceMaskK<T, L>)(static_cast<const T *>(x), static_cast<T *>(y),
                                                                  static_cast<const L *>(len), T_, N, rest,
                                                                  batch_major, v, req);
      });
    }
  });
}

void SequenceReverse(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T_, int64_t N,
                     int64_t rest, bool batch_major, int req, cudaStream_t s) {
  const int64_t n = T_ * N * rest;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    WithLengths(len_dtype, len, [&](auto lp) {
      typedef std::remove_cv_t<std::remove_pointer_t<decltype(lp)>> L;
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, SeqReverseK<T, L>)(static_cast<const T *>(x), static_cast<T *>(y), lp, T_,
                                                               N, rest, batch_major, req);
    });
  });
}

void SequenceLast(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T_, int64_t N,
                  int64_t rest, bool batch_major, int req, cudaStream_t s) {
  if (T_ * N * rest == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    WithLengths(len_dtype, len, [&](auto lp) {
      typedef std::remove_cv_t<std::remove_pointer_t<decltype(lp)>> L;
      MXC_LAUNCH(Blocks(N * rest), kThreads, 0, s, SeqLastK<T, L>)(static_cast<const T *>(x), static_cast<T *>(y), lp,
                                                                   T_, N, rest, batch_major, req);
    });
  });
}

void SequenceLastGrad(int dtype, const void *dy, void *dx, int len_dtype, const void *len, int64_t T_, int64_t N,
                      int64_t rest, bool batch_major, int req, cudaStream_t s) {
  const int64_t n = T_ * N * rest;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    WithLengths(len_dtype, len, [&](auto lp) {
      typedef std::remove_cv_t<std::remove_pointer_t<decltype(lp)>> L;
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, SeqLastGradK<T, L>)(static_cast<const T *>(dy), static_cast<T *>(dx), lp,
                                                                T_, N, rest, batch_major, req);
    });
  });
}

void UpSamplingNearest(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t scale, int req,
                       cudaStream_t s) {
  if (planes * H * W == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(planes * H * W * scale * scale), kThreads, 0, s, UpNearestK<T>)(
        static_cast<const T *>(x), static_cast<T *>(y), planes, H, W, scale, req);
  });
}

void UpSamplingNearestGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t scale,
                           int req, cudaStream_t s) {
  if (planes * H * W == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(planes * H * W), kThreads, 0, s, UpNearestGradK<T>)(static_cast<const T *>(dy),
                                                                         static_cast<T *>(dx), planes, H, W, scale,
                                                                         req);
  });
}

}  // namespace cuda
}  // namespace mxc
