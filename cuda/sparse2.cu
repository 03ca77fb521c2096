// The kernels of kernels_sparse2.cuh: dense <-> csr / row_sparse conversions and row bookkeeping as
// core/ops/sparse_convert.cc computes them. Every output element is written by one thread at a position fixed by the
// prefix sums (no atomics in the results), so results match the CPU exactly and do not depend on thread order. The
// prefix sums run in one block (chunks per thread).
#include "common.cuh"
#include "kernels_sparse2.cuh"

namespace mxc {
namespace cuda {

namespace {

template <typename T>
__global__ void RowCountK(const T *x, int64_t M, int64_t inner, bool any_row, int64_t *cnt) {
  MXC_CUDA_LOOP(r, M) {
    int64_t c = 0;
    for (int64_t j = 0; j < inner; ++j) c += x[r * inner + j] != T(0) ? 1 : 0;
    cnt[r] = any_row ? (c ? 1 : 0) : c;
  }
}

// One block: each thread sums a contiguous chunk, thread 0 scans the kThreads chunk sums in shared memory, then each
// thread writes its chunk's prefix sums (integers: the same result in any order).
__global__ void ScanK(const int64_t *cnt, int64_t n, int64_t *ptr, int req) {
  __shared__ int64_t part[kThreads];
  const int t = threadIdx.x;
  const int64_t chunk = (n + kThreads - 1) / kThreads;
  const int64_t lo = t * chunk < n ? t * chunk : n, hi = lo + chunk < n ? lo + chunk : n;
  int64_t s = 0;
  for (int64_t i = lo; i < hi; ++i) s += cnt[i];
  part[t] = s;
  __syncthreads();
  if (t == 0) {
    int64_t acc = 0;
    for (int k = 0; k < kThreads; ++k) {
      const int64_t v = part[k];
      part[k] = acc;
      acc += v;
    }
  }
  __syncthreads();
  int64_t run = part[t];
  for (int64_t i = lo; i < hi; ++i) {
    const int64_t c = cnt[i];
    Store(ptr + i, req, run);
    run += c;
  }
  if (t == kThreads - 1) Store(ptr + n, req, run);
}

__global__ void CheckPrefixK(const int64_t *ptr, int64_t n, int64_t total, int64_t max_step,
                             unsigned long long *bad) {
  MXC_CUDA_LOOP(i, n + 1) {
    bool b = (i == 0 && ptr[0] != 0) || (i == n && ptr[n] != total);
    if (i < n) {
      const int64_t d = ptr[i + 1] - ptr[i];
      b = b || d < 0 || (max_step >= 0 && d > max_step);
    }
    if (b) atomicAdd(bad, 1ULL);
  }
}

template <typename T>
__global__ void CsrFillK(const T *x, int64_t M, int64_t K, const int64_t *ptr, int64_t nnz, T *val, int req_val,
                         int64_t *col, int req_col, unsigned long long *bad) {
  MXC_CUDA_LOOP(r, M) {
    const int64_t lo = ptr[r], hi = ptr[r + 1];
    int64_t e = lo;
    for (int64_t c = 0; c < K; ++c) {
      const T v = x[r * K + c];
      if (v != T(0)) {
        if (e >= 0 && e < hi && e < nnz) {
          Store(val + e, req_val, v);
          Store(col + e, req_col, c);
        }
        ++e;
      }
    }
    if (e != hi) atomicAdd(bad, 1ULL);
  }
}

template <typename T>
__global__ void CompactK(const T *x, int64_t M, int64_t inner, const int64_t *ptr, int64_t count, T *y, int req) {
  MXC_CUDA_LOOP(i, M * inner) {
    const int64_t r = i / inner, j = i % inner, k = ptr[r];
    if (ptr[r + 1] > k && k >= 0 && k < count) Store(y + k * inner + j, req, x[i]);
  }
}

__global__ void PositionsK(const int64_t *ptr, int64_t M, int64_t count, int64_t *pos, int req) {
  MXC_CUDA_LOOP(r, M) {
    const int64_t k = ptr[r];
    if (ptr[r + 1] > k && k >= 0 && k < count) Store(pos + k, req, r);
  }
}

__global__ void ZeroI64K(int64_t *p, int64_t n) {
  MXC_CUDA_LOOP(i, n) p[i] = 0;
}

__global__ void MarkK(const int64_t *ix, int64_t n, int64_t R, int64_t *mark) {
  MXC_CUDA_LOOP(i, n) {
    int64_t k = ix[i];
    k = k < 0 ? 0 : (k >= R ? R - 1 : k);
    mark[k] = 1;  // every writer writes the same value
  }
}

template <typename T>
__global__ void RetainK(const T *x, const int64_t *ix, int64_t M, int64_t inner, const int64_t *keep, int64_t k, T *y,
                        int req) {
  MXC_CUDA_LOOP(i, k * inner) {
    const int64_t q = i / inner, j = i % inner, want = keep[q];
    int64_t lo = 0, hi = M;  // lower bound of want in ix
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (ix[mid] < want) lo = mid + 1;
      else hi = mid;
    }
    Store(y + i, req, (lo < M && ix[lo] == want) ? x[lo * inner + j] : T(0));
  }
}

template <typename T>
__global__ void CsrToDenseK(const T *a, const int64_t *col, const int64_t *ptr, int64_t M, int64_t K, T *y, int req) {
  MXC_CUDA_LOOP(i, M * K) {
    const int64_t r = i / K, c = i % K;
    T v = T(0);
    for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e)
      if (col[e] == c) v = static_cast<T>(v + a[e]);
    Store(y + i, req, v);
  }
}

}  // namespace

bool SpRowCount(int dtype, const void *x, int64_t M, int64_t inner, bool any_row, int64_t *cnt, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    ok = true;
    if (M) MXC_LAUNCH(Blocks(M), kThreads, 0, s, RowCountK<T>)(static_cast<const T *>(x), M, inner, any_row, cnt);
  });
  return ok;
}

void SpScan(const int64_t *cnt, int64_t n, int64_t *ptr, int req, cudaStream_t s) {
  if (req == 0) return;
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, ScanK)(cnt, n, ptr, req);
}

void SpCheckPrefix(const int64_t *ptr, int64_t n, int64_t total, int64_t max_step, unsigned long long *bad,
                   cudaStream_t s) {
  MXC_LAUNCH(Blocks(n + 1), kThreads, 0, s, CheckPrefixK)(ptr, n, total, max_step, bad);
}

bool SpCsrFill(int dtype, const void *x, int64_t M, int64_t K, const int64_t *ptr, int64_t nnz, void *val,
               int req_val, int64_t *col, int req_col, unsigned long long *bad, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    ok = true;
    if (M)
      MXC_LAUNCH(Blocks(M), kThreads, 0, s, CsrFillK<T>)(static_cast<const T *>(x), M, K, ptr, nnz,
                                                          static_cast<T *>(val), req_val, col, req_col, bad);
  });
  return ok;
}

bool SpCompact(int dtype, const void *x, int64_t M, int64_t inner, const int64_t *ptr, int64_t count, void *y,
               int req_y, int64_t *pos, int req_pos, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    ok = true;
    if (M * inner && req_y)
      MXC_LAUNCH(Blocks(M * inner), kThreads, 0, s, CompactK<T>)(static_cast<const T *>(x), M, inner, ptr, count,
                                                                  static_cast<T *>(y), req_y);
  });
  if (ok && M && req_pos) MXC_LAUNCH(Blocks(M), kThreads, 0, s, PositionsK)(ptr, M, count, pos, req_pos);
  return ok;
}

void SpMarkRows(const int64_t *ix, int64_t n, int64_t R, int64_t *mark, cudaStream_t s) {
  if (R) MXC_LAUNCH(Blocks(R), kThreads, 0, s, ZeroI64K)(mark, R);
  if (n && R) MXC_LAUNCH(Blocks(n), kThreads, 0, s, MarkK)(ix, n, R, mark);
}

bool SpRetain(int dtype, const void *x, const int64_t *ix, int64_t M, int64_t inner, const int64_t *keep, int64_t k,
              void *y, int req, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    ok = true;
    if (k * inner && req)
      MXC_LAUNCH(Blocks(k * inner), kThreads, 0, s, RetainK<T>)(static_cast<const T *>(x), ix, M, inner, keep, k,
                                                                 static_cast<T *>(y), req);
  });
  return ok;
}

bool SpCsrToDense(int dtype, const void *a, const int64_t *col, const int64_t *ptr, int64_t M, int64_t K, void *y,
                  int req, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    ok = true;
    if (M * K && req)
      MXC_LAUNCH(Blocks(M * K), kThreads, 0, s, CsrToDenseK<T>)(static_cast<const T *>(a), col, ptr, M, K,
                                                                 static_cast<T *>(y), req);
  });
  return ok;
}

}  // namespace cuda
}  // namespace mxc
