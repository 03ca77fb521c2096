// The ordering operators (topk, sort, argsort): the kernels of kernels_ordering.cuh. Each row is ordered by one
// thread with a bottom-up merge sort of its positions (stable), in per-row scratch given by the caller; the results
// are then gathered with one thread per output element.
#include <type_traits>

#include "common.cuh"
#include "kernels.cuh"
#include "kernels_ordering.cuh"

namespace mxc {
namespace cuda {

namespace {

// Element sizes by DTypeCode.
inline int64_t ElemSize(int dtype) {
  static const int64_t sizes[] = {4, 8, 2, 1, 4, 1, 8, 1};
  return dtype >= 0 && dtype < 8 ? sizes[dtype] : 1;
}

}  // namespace

// Whether a comes before b: ascending (NaN last) or descending (NaN first).
template <typename T>
__device__ __forceinline__ bool OrderBefore(T a, T b, bool ascend) {
  const bool an = a != a, bn = b != b;
  if (an || bn) return ascend ? (!an && bn) : (an && !bn);
  return ascend ? a < b : b < a;
}

template <typename T>
__global__ void OrderRowsK(const T *x, int64_t outer, int64_t n, int64_t inner, bool ascend, int64_t *perm,
                           int64_t *tmp) {
  MXC_CUDA_LOOP(r, outer * inner) {
    const int64_t o = r / inner, i = r % inner;
    const T *row = x + o * n * inner + i;
    int64_t *a = perm + r * n, *b = tmp + r * n;
    for (int64_t j = 0; j < n; ++j) a[j] = j;
    for (int64_t w = 1; w < n; w *= 2) {
      for (int64_t lo = 0; lo < n; lo += 2 * w) {
        const int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
        int64_t p = lo, q = mid, t = lo;
        // Take from the right run only when strictly before: equal elements keep their order.
        while (p < mid && q < hi) b[t++] = OrderBefore(row[a[q] * inner], row[a[p] * inner], ascend) ? a[q++] : a[p++];
        while (p < mid) b[t++] = a[p++];
        while (q < hi) b[t++] = a[q++];
      }
      int64_t *c = a;
      a = b;
      b = c;
    }
    int64_t *dst = perm + r * n;
    if (a != dst)
      for (int64_t j = 0; j < n; ++j) dst[j] = a[j];
  }
}

void OrderRows(int dtype, const void *x, int64_t outer, int64_t n, int64_t inner, bool ascend, int64_t *perm,
               int64_t *tmp, cudaStream_t s) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows), kThreads, 0, s, OrderRowsK<T>)(static_cast<const T *>(x), outer, n, inner, ascend, perm,
                                                            tmp);
  });
}

// Stores a position in the positions' dtype.
__device__ __forceinline__ void StorePosition(int t, void *p, int64_t e, int req, int64_t v) {
  switch (t) {
    case kF32: Store(static_cast<float *>(p) + e, req, static_cast<float>(v)); break;
    case kF64: Store(static_cast<double *>(p) + e, req, static_cast<double>(v)); break;
    case kU8: Store(static_cast<uint8_t *>(p) + e, req, static_cast<uint8_t>(v)); break;
    case kI32: Store(static_cast<int32_t *>(p) + e, req, static_cast<int32_t>(v)); break;
    case kI8: Store(static_cast<int8_t *>(p) + e, req, static_cast<int8_t>(v)); break;
    case kI64: Store(static_cast<int64_t *>(p) + e, req, v); break;
    default: break;
  }
}
// Reads a position stored in dtype t.
__device__ __forceinline__ int64_t LoadPosition(int t, const void *p, int64_t e) {
  switch (t) {
    case kF32: return static_cast<int64_t>(static_cast<const float *>(p)[e]);
    case kF64: return static_cast<int64_t>(static_cast<const double *>(p)[e]);
    case kU8: return static_cast<const uint8_t *>(p)[e];
    case kI32: return static_cast<const int32_t *>(p)[e];
    case kI8: return static_cast<const int8_t *>(p)[e];
    case kI64: return static_cast<const int64_t *>(p)[e];
    default: return -1;
  }
}

template <typename T>
__global__ void OrderGatherK(const T *x, const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k,
                             T *vals, int vreq, int it, void *idx, int ireq) {
  MXC_CUDA_LOOP(e, outer * k * inner) {
    const int64_t o = e / (k * inner), j = (e / inner) % k, i = e % inner;
    const int64_t pos = perm[(o * inner + i) * n + j];
    if (vals) Store(vals + e, vreq, x[(o * n + pos) * inner + i]);
    if (idx) StorePosition(it, idx, e, ireq, pos);
  }
}

void OrderGather(int dtype, const void *x, const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k,
                 void *vals, int vreq, int idx_dtype, void *idx, int ireq, cudaStream_t s) {
  if (vreq == 0) vals = nullptr;
  if (ireq == 0) idx = nullptr;
  const int64_t total = outer * k * inner;
  if (total == 0 || (!vals && !idx)) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, OrderGatherK<T>)(static_cast<const T *>(x), perm, outer, n, inner, k,
                                                               static_cast<T *>(vals), vreq, idx_dtype, idx, ireq);
  });
}

// One thread per picked element; the picked positions of a row are distinct.
template <typename T>
__global__ void OrderMaskK(const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k, T *mask) {
  MXC_CUDA_LOOP(e, outer * k * inner) {
    const int64_t o = e / (k * inner), j = (e / inner) % k, i = e % inner;
    mask[(o * n + perm[(o * inner + i) * n + j]) * inner + i] += T(1);
  }
}

void OrderMask(int dtype, const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k, void *mask,
               int req, cudaStream_t s) {
  if (req == 0) return;
  if (req != 3) cudaMemsetAsync(mask, 0, outer * n * inner * ElemSize(dtype), s);
  const int64_t total = outer * k * inner;
  if (total == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, OrderMaskK<T>)(perm, outer, n, inner, k, static_cast<T *>(mask));
  });
}

// *p += v, atomically where the GPU has an atomic addition of that width (every dtype but the 8-bit integers).
template <typename T>
__device__ __forceinline__ void AddAt(T *p, T v) {
  if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value || std::is_same<T, int32_t>::value)
    atomicAdd(p, v);
  else if constexpr (sizeof(T) == 8)  // int64: two's complement sums as unsigned
    atomicAdd(reinterpret_cast<unsigned long long *>(p), static_cast<unsigned long long>(v));
  else
    *p = static_cast<T>(*p + v);
}

// Atomic: the positions come from the forward's positions output, stored in its `dtype`; a narrow one (uint8 past 255,
// float16/float32 past their exact integers) repeats positions within a row, whose gradients then all add (as on the
// CPU) instead of racing.
template <typename T>
__global__ void OrderScatterGradK(const T *g, int it, const void *idx, int64_t outer, int64_t n, int64_t inner,
                                  int64_t k, T *grad) {
  MXC_CUDA_LOOP(e, outer * k * inner) {
    const int64_t o = e / (k * inner), i = e % inner;
    const int64_t pos = LoadPosition(it, idx, e);
    if (pos >= 0 && pos < n) AddAt(grad + (o * n + pos) * inner + i, g[e]);
  }
}

void OrderScatterGrad(int dtype, const void *g, int idx_dtype, const void *idx, int64_t outer, int64_t n,
                      int64_t inner, int64_t k, void *grad, int req, cudaStream_t s) {
  if (req == 0) return;
  if (req != 3) cudaMemsetAsync(grad, 0, outer * n * inner * ElemSize(dtype), s);
  const int64_t total = outer * k * inner;
  if (total == 0 || !idx) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, OrderScatterGradK<T>)(static_cast<const T *>(g), idx_dtype, idx, outer,
                                                                    n, inner, k, static_cast<T *>(grad));
  });
}

}  // namespace cuda
}  // namespace mxc
