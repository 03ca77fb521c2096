// The kernels of kernels_sparse.cuh: CSR x dense products as core/ops/sparse.cc computes them. Every output element
// is one thread summing in double in increasing entry order, as the CPU kernel does, so results match it bitwise
// and do not depend on the order of threads. A^T products first sort the entries by column (a counting sort whose
// atomically filled column segments are then sorted by entry number: deterministic).
#include "common.cuh"
#include "kernels_sparse.cuh"

namespace mxc {
namespace cuda {

namespace {

template <typename I>
__global__ void ToI64K(const I *src, int64_t *dst, int64_t n) {
  MXC_CUDA_LOOP(i, n) dst[i] = static_cast<int64_t>(src[i]);
}

__global__ void CheckK(const int64_t *col, const int64_t *ptr, int64_t M, int64_t nnz, int64_t K, long long *bad) {
  MXC_CUDA_LOOP(i, M + 1 + nnz) {
    bool b;
    if (i <= M) {
      b = (i == 0 && ptr[0] != 0) || (i == M && ptr[M] != nnz) || (i < M && ptr[i] > ptr[i + 1]);
    } else {
      const int64_t c = col[i - M - 1];
      b = c < 0 || c >= K;
    }
    if (b) atomicAdd(reinterpret_cast<unsigned long long *>(bad), 1ULL);
  }
}

__global__ void ZeroK(unsigned long long *p, int64_t n) {
  MXC_CUDA_LOOP(i, n) p[i] = 0;
}

__global__ void RowOfK(const int64_t *ptr, int64_t M, int64_t *row) {
  MXC_CUDA_LOOP(r, M) for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) row[e] = r;
}

__global__ void CountK(const int64_t *col, int64_t nnz, unsigned long long *cnt) {
  MXC_CUDA_LOOP(e, nnz) atomicAdd(cnt + col[e], 1ULL);
}

// colptr = exclusive prefix sum of cnt (one thread), cnt reset to zero for the fill.
__global__ void ScanK(unsigned long long *cnt, int64_t K, int64_t *colptr) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  int64_t s = 0;
  for (int64_t c = 0; c < K; ++c) {
    colptr[c] = s;
    s += static_cast<int64_t>(cnt[c]);
    cnt[c] = 0;
  }
  colptr[K] = s;
}

__global__ void FillK(const int64_t *col, int64_t nnz, const int64_t *colptr, unsigned long long *cnt,
                      int64_t *perm) {
  MXC_CUDA_LOOP(e, nnz) {
    const int64_t c = col[e];
    perm[colptr[c] + static_cast<int64_t>(atomicAdd(cnt + c, 1ULL))] = e;
  }
}

// Each column's entries in increasing order (insertion sort of its segment).
__global__ void SortSegK(const int64_t *colptr, int64_t K, int64_t *perm) {
  MXC_CUDA_LOOP(c, K) {
    for (int64_t i = colptr[c] + 1; i < colptr[c + 1]; ++i) {
      const int64_t v = perm[i];
      int64_t j = i - 1;
      while (j >= colptr[c] && perm[j] > v) {
        perm[j + 1] = perm[j];
        --j;
      }
      perm[j + 1] = v;
    }
  }
}

template <typename T>
__global__ void TimesK(const int64_t *col, const int64_t *ptr, const T *a, const T *x, int64_t M, int64_t N, T *y,
                       int req) {
  MXC_CUDA_LOOP(i, M * N) {
    const int64_t r = i / N, n = i % N;
    double s = 0;
    for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) s += static_cast<double>(a[e]) * static_cast<double>(x[col[e] * N + n]);
    Store(y + i, req, static_cast<T>(s));
  }
}

template <typename T>
__global__ void TransTimesK(const int64_t *row, const int64_t *colptr, const int64_t *perm, const T *a, const T *x,
                            int64_t K, int64_t N, T *y, int req) {
  MXC_CUDA_LOOP(i, K * N) {
    const int64_t c = i / N, n = i % N;
    double s = 0;
    for (int64_t t = colptr[c]; t < colptr[c + 1]; ++t) {
      const int64_t e = perm[t];
      s += static_cast<double>(a[e]) * static_cast<double>(x[row[e] * N + n]);
    }
    Store(y + i, req, static_cast<T>(s));
  }
}

template <typename T>
__global__ void DataGradK(const int64_t *row, const int64_t *col, bool transposed, const T *dy, const T *x,
                          int64_t nnz, int64_t N, T *g, int req) {
  MXC_CUDA_LOOP(e, nnz) {
    const int64_t u = transposed ? col[e] : row[e], v = transposed ? row[e] : col[e];
    double s = 0;
    for (int64_t n = 0; n < N; ++n) s += static_cast<double>(dy[u * N + n]) * static_cast<double>(x[v * N + n]);
    Store(g + e, req, static_cast<T>(s));
  }
}

}  // namespace

bool CsrIndexToI64(int dtype, const void *src, int64_t *dst, int64_t n, cudaStream_t s) {
  bool ok = false;
  MXC_CUDA_NUMERIC_SWITCH(dtype, I, {
    ok = true;
    if (n) MXC_LAUNCH(Blocks(n), kThreads, 0, s, ToI64K<I>)(static_cast<const I *>(src), dst, n);
  });
  return ok;
}

void CsrCheck(const int64_t *col, const int64_t *ptr, int64_t M, int64_t nnz, int64_t K, long long *bad,
              cudaStream_t s) {
  cudaMemsetAsync(bad, 0, sizeof(long long), s);
  MXC_LAUNCH(Blocks(M + 1 + nnz), kThreads, 0, s, CheckK)(col, ptr, M, nnz, K, bad);
}

void CsrColumnOrder(const int64_t *col, const int64_t *ptr, int64_t M, int64_t nnz, int64_t K, int64_t *row,
                    int64_t *colptr, int64_t *perm, unsigned long long *work, cudaStream_t s) {
  if (K) MXC_LAUNCH(Blocks(K), kThreads, 0, s, ZeroK)(work, K);
  if (M) MXC_LAUNCH(Blocks(M), kThreads, 0, s, RowOfK)(ptr, M, row);
  if (nnz) MXC_LAUNCH(Blocks(nnz), kThreads, 0, s, CountK)(col, nnz, work);
  MXC_LAUNCH(1, 1, 0, s, ScanK)(work, K, colptr);
  if (nnz) MXC_LAUNCH(Blocks(nnz), kThreads, 0, s, FillK)(col, nnz, colptr, work, perm);
  if (K && nnz) MXC_LAUNCH(Blocks(K), kThreads, 0, s, SortSegK)(colptr, K, perm);
}

void CsrTimes(int dtype, const int64_t *col, const int64_t *ptr, const void *a, const void *x, int64_t M, int64_t N,
              void *y, int req, cudaStream_t s) {
  if (M * N == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(M * N), kThreads, 0, s, TimesK<T>)(col, ptr, static_cast<const T *>(a),
                                                          static_cast<const T *>(x), M, N, static_cast<T *>(y), req);
  });
}

void CsrTransTimes(int dtype, const int64_t *row, const int64_t *colptr, const int64_t *perm, const void *a,
                   const void *x, int64_t K, int64_t N, void *y, int req, cudaStream_t s) {
  if (K * N == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(K * N), kThreads, 0, s, TransTimesK<T>)(row, colptr, perm, static_cast<const T *>(a),
                                                               static_cast<const T *>(x), K, N,
                                                               static_cast<T *>(y), req);
  });
}

void CsrDotDataGrad(int dtype, const int64_t *row, const int64_t *col, bool transposed, const void *dy,
                    const void *x, int64_t nnz, int64_t N, void *g, int req, cudaStream_t s) {
  if (nnz == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(nnz), kThreads, 0, s, DataGradK<T>)(row, col, transposed, static_cast<const T *>(dy),
                                                           static_cast<const T *>(x), nnz, N, static_cast<T *>(g),
                                                           req);
  });
}

}  // namespace cuda
}  // namespace mxc
