// The linalg factorizations of kernels_linalg2.cuh: one block per matrix (grid-stride over the batch), in double
// precision in the scratch `work`, with the CPU kernels' algorithms and summation orders (core/ops/linalg_la.cc).
// Triangular solves give each thread whole columns (left side) or rows (right side) of the right-hand sides, which
// are independent; Cholesky and LU go column by column with the rows below the pivot shared among the threads.
// Values every thread needs (a pivot, Cholesky's diagonal) are computed by every thread alike, so no shared memory
// is used.
#include <cmath>

#include "common.cuh"
#include "kernels_linalg2.cuh"

namespace mxc {
namespace cuda {

namespace {

inline unsigned MatGrid(int64_t batch) {
  return static_cast<unsigned>(batch < 65535 * 8 ? (batch < 1 ? 1 : batch) : 65535 * 8);
}
// Threads per block for a matrix dimension d (the work a block shares out): 32 to 256.
inline int MatThreads(int64_t d) { return d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : 256; }

// Element (i, j) of op(M), M row-major with row stride ld, as a double.
template <typename P>
__device__ __forceinline__ double El(const P *M, int64_t ld, bool t, int64_t i, int64_t j) {
  return static_cast<double>(t ? M[j * ld + i] : M[i * ld + j]);
}

// C (M x N, row stride N) = alpha op(A) op(B), op(A) M x K, summed in order of K. C must not alias A or B. Ends with
// a block barrier.
template <typename PA, typename PB>
__device__ void BlockMul(const PA *A, int64_t lda, bool ta, const PB *B, int64_t ldb, bool tb, int64_t M, int64_t N,
                         int64_t K, double alpha, double *C) {
  for (int64_t e = threadIdx.x; e < M * N; e += blockDim.x) {
    const int64_t i = e / N, j = e % N;
    double acc = 0;
    for (int64_t q = 0; q < K; ++q) acc += El(A, lda, ta, i, q) * El(B, ldb, tb, q, j);
    C[e] = alpha * acc;
  }
  __syncthreads();
}

// Solves op(T) X = B (left; X n x k) or X op(T) = B (right; X m x n) in place in x, T an n x n matrix of which the
// `lower` (or upper) triangle is read, op(T) = T or T^T; unit: a diagonal of ones. The CPU's TriSolve: each column
// (left) or row (right) of x is solved by one thread in the same order. Ends with a block barrier.
template <typename P>
__device__ void BlockTriSolve(const P *T, int64_t n, bool lower, bool trans, bool right, bool unit, double *x,
                              int64_t m, int64_t k) {
  const bool lo = lower != trans;  // op(T) is lower triangular
  if (!right) {
    for (int64_t c = threadIdx.x; c < k; c += blockDim.x)
      for (int64_t s = 0; s < n; ++s) {
        const int64_t i = lo ? s : n - 1 - s;
        double v = x[i * k + c];
        if (lo) {
          for (int64_t j = 0; j < i; ++j) v -= El(T, n, trans, i, j) * x[j * k + c];
        } else {
          for (int64_t j = i + 1; j < n; ++j) v -= El(T, n, trans, i, j) * x[j * k + c];
        }
        x[i * k + c] = unit ? v : v / El(T, n, trans, i, i);
      }
  } else {
    for (int64_t r = threadIdx.x; r < m; r += blockDim.x) {
      double *row = x + r * n;
      for (int64_t s = 0; s < n; ++s) {
        const int64_t j = lo ? n - 1 - s : s;
        double v = row[j];
        if (lo) {
          for (int64_t i = j + 1; i < n; ++i) v -= row[i] * El(T, n, trans, i, j);
        } else {
          for (int64_t i = 0; i < j; ++i) v -= row[i] * El(T, n, trans, i, j);
        }
        row[j] = unit ? v : v / El(T, n, trans, j, j);
      }
    }
  }
  __syncthreads();
}

template <typename T>
__device__ void BlockLoad(const T *src, double *dst, int64_t count, double scale = 1.0) {
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) dst[e] = scale == 1.0 ? double(src[e]) : src[e] * scale;
  __syncthreads();
}
template <typename T>
__device__ void BlockStore(const double *src, T *dst, int req, int64_t count, double scale = 1.0) {
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) Store(dst + e, req, static_cast<T>(src[e] * scale));
  __syncthreads();
}

// LU with partial pivoting of A (n x n) into a (the CPU's Lu): unit L below the diagonal, U on and above it, piv[k]
// the row swapped with row k. Returns (to every thread) whether every pivot is non-zero; *sign: the permutation's
// sign. Ends with a block barrier.
template <typename T>
__device__ bool BlockLu(const T *A, double *a, int64_t *piv, int64_t n, double *sign) {
  BlockLoad(A, a, n * n);
  bool regular = true;
  double sg = 1;
  for (int64_t k = 0; k < n; ++k) {
    int64_t p = k;  // every thread finds the same pivot
    for (int64_t i = k + 1; i < n; ++i)
      if (fabs(a[i * n + k]) > fabs(a[p * n + k])) p = i;
    __syncthreads();  // the column is read before rows move
    if (threadIdx.x == 0) piv[k] = p;
    if (p != k) {
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        const double t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
      sg = -sg;
    }
    __syncthreads();
    const double d = a[k * n + k];
    if (d == 0) {
      regular = false;
      continue;
    }
    for (int64_t i = k + 1 + threadIdx.x; i < n; i += blockDim.x) {
      const double f = a[i * n + k] / d;
      a[i * n + k] = f;
      if (f != 0)
        for (int64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
    }
    __syncthreads();
  }
  __syncthreads();
  *sign = sg;
  return regular;
}

// x = A^{-1} from BlockLu's factors (the CPU's LuInverse: the identity's rows swapped, then the unit lower and the
// upper solves). Ends with a block barrier.
__device__ void BlockLuInverse(const double *lu, const int64_t *piv, int64_t n, double *x) {
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    for (int64_t i = 0; i < n; ++i) x[i * n + j] = i == j ? 1.0 : 0.0;
    for (int64_t k = 0; k < n; ++k)
      if (piv[k] != k) {
        const double t = x[k * n + j];
        x[k * n + j] = x[piv[k] * n + j];
        x[piv[k] * n + j] = t;
      }
  }
  __syncthreads();
  BlockTriSolve(lu, n, true, false, false, true, x, n, n);
  BlockTriSolve(lu, n, false, false, false, false, x, n, n);
}

// ---------------------------------------------------------------------------------------------------------------
// Forwards
// ---------------------------------------------------------------------------------------------------------------
template <typename T>
__global__ void PotrfK(const T *A, T *L, int req, int64_t batch, int64_t n, double *work, int *fail) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *a = work + b * n * n;
    BlockLoad(A + b * n * n, a, n * n);
    bool ok = true;
    for (int64_t j = 0; j < n; ++j) {
      double d = a[j * n + j];  // every thread computes the diagonal
      for (int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
      if (!(d > 0)) {
        if (threadIdx.x == 0) fail[b] = 1;
        ok = false;
        break;
      }
      d = sqrt(d);
      __syncthreads();  // a[j][j] read by all before it is replaced
      if (threadIdx.x == 0) a[j * n + j] = d;
      for (int64_t i = j + 1 + threadIdx.x; i < n; i += blockDim.x) {
        double v = a[i * n + j];
        for (int64_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
        a[i * n + j] = v / d;
      }
      for (int64_t i = threadIdx.x; i < j; i += blockDim.x) a[i * n + j] = 0;
      __syncthreads();
    }
    __syncthreads();
    if (ok) BlockStore(a, L + b * n * n, req, n * n);
  }
}

template <typename T>
__global__ void PotriK(const T *A, T *out, int req, int64_t batch, int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *li = work + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) li[e] = e / n == e % n ? 1.0 : 0.0;
    __syncthreads();
    BlockTriSolve(A + b * n * n, n, true, false, false, false, li, n, n);
    T *o = out + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {  // Li^T Li
      const int64_t i = e / n, j = e % n;
      double acc = 0;
      for (int64_t q = 0; q < n; ++q) acc += li[q * n + i] * li[q * n + j];
      Store(o + e, req, static_cast<T>(acc));
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void TrsmK(const T *A, const T *B, T *out, int req, int64_t batch, int64_t n, int64_t m, int64_t k,
                      bool lower, bool trans, bool right, double alpha, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *x = work + b * m * k;
    BlockLoad(B + b * m * k, x, m * k, alpha);
    BlockTriSolve(A + b * n * n, n, lower, trans, right, false, x, m, k);
    BlockStore(x, out + b * m * k, req, m * k);
  }
}

template <typename T>
__global__ void InverseK(const T *A, T *out, int req, int64_t batch, int64_t n, double *work, int64_t *piv,
                         int *fail) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *lu = work + b * 2 * n * n, *x = lu + n * n, sign;
    int64_t *pv = piv + b * n;
    if (!BlockLu(A + b * n * n, lu, pv, n, &sign)) {
      if (threadIdx.x == 0) fail[b] = 1;
      continue;
    }
    BlockLuInverse(lu, pv, n, x);
    BlockStore(x, out + b * n * n, req, n * n);
  }
}

template <typename T>
__global__ void DetK(const T *A, T *det, int rd, T *sign, int rs, T *logabs, int rl, int64_t batch, int64_t n,
                     double *work, int64_t *piv) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *lu = work + b * 2 * n * n, sg;
    BlockLu(A + b * n * n, lu, piv + b * n, n, &sg);
    if (threadIdx.x == 0) {
      double la = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double d = lu[i * n + i];
        if (d < 0) sg = -sg;
        la += log(fabs(d));
      }
      const bool zero = la < -1.7976931348623157e308;  // -inf: a zero pivot
      const double dt = zero ? 0.0 : sg * exp(la);
      if (zero) sg = 0;
      if (det) Store(det + b, rd, static_cast<T>(dt));
      if (sign) Store(sign + b, rs, static_cast<T>(sg));
      if (logabs) Store(logabs + b, rl, static_cast<T>(la));
    }
    __syncthreads();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------------------------------------------
template <typename T>
__global__ void DetGradK(const T *A, const T *g_det, const T *det, const T *g_logabs, T *dA, int req, int64_t batch,
                         int64_t n, double *work, int64_t *piv) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *lu = work + b * 2 * n * n, *x = lu + n * n, sign;
    int64_t *pv = piv + b * n;
    BlockLu(A + b * n * n, lu, pv, n, &sign);
    BlockLuInverse(lu, pv, n, x);
    const double f = g_logabs ? double(g_logabs[b]) : double(g_det[b]) * det[b];
    T *o = dA + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
      const int64_t i = e / n, j = e % n;
      Store(o + e, req, static_cast<T>(x[j * n + i] * f));
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void PotrfGradK(const T *Lin, const T *Gin, T *dA, int req, int64_t batch, int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *L = Lin + b * n * n, *G = Gin + b * n * n;
    double *x = work + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {  // copyltu(L^T G) from its lower triangle
      const int64_t i = e / n, j = e % n;
      if (i < j) continue;
      double acc = 0;
      for (int64_t q = 0; q < n; ++q) acc += double(L[q * n + i]) * G[q * n + j];
      x[i * n + j] = acc;
      x[j * n + i] = acc;
    }
    __syncthreads();
    BlockTriSolve(L, n, true, true, false, false, x, n, n);  // L^{-T} X
    BlockTriSolve(L, n, true, false, true, false, x, n, n);  // X L^{-1}
    BlockStore(x, dA + b * n * n, req, n * n, 0.5);
  }
}

template <typename T>
__global__ void PotriGradK(const T *Ain, const T *Yin, const T *Gin, T *dA, int req, int64_t batch, int64_t n,
                           double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *A = Ain + b * n * n, *Y = Yin + b * n * n, *G = Gin + b * n * n;
    double *gs = work + b * 2 * n * n, *p = gs + n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
      const int64_t i = e / n, j = e % n;
      gs[e] = double(G[e]) + G[j * n + i];
    }
    __syncthreads();
    BlockMul(Y, n, false, gs, n, false, n, n, n, 1.0, p);  // Y Gs
    BlockMul(p, n, false, Y, n, false, n, n, n, 1.0, gs);  // Y Gs Y
    T *o = dA + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {  // -tril(Y Gs Y tril(A))
      const int64_t i = e / n, j = e % n;
      double acc = 0;
      if (j <= i)
        for (int64_t q = j; q < n; ++q) acc += gs[i * n + q] * A[q * n + j];
      Store(o + e, req, static_cast<T>(-acc));
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void InverseGradK(const T *Yin, const T *Gin, T *dA, int req, int64_t batch, int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *Y = Yin + b * n * n, *G = Gin + b * n * n;
    double *p = work + b * n * n;
    BlockMul(Y, n, true, G, n, false, n, n, n, 1.0, p);  // Y^T G
    T *o = dA + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {  // -(Y^T G) Y^T
      const int64_t i = e / n, j = e % n;
      double acc = 0;
      for (int64_t q = 0; q < n; ++q) acc += p[i * n + q] * Y[j * n + q];
      Store(o + e, req, static_cast<T>(-acc));
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void TrsmGradK(const T *Ain, const T *Xin, const T *Gin, T *dA, int ra, T *dB, int rb, int64_t batch,
                          int64_t n, int64_t m, int64_t k, bool lower, bool trans, bool right, double alpha,
                          double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *A = Ain + b * n * n, *X = Xin + b * m * k;
    double *gb = work + b * m * k;
    BlockLoad(Gin + b * m * k, gb, m * k);
    BlockTriSolve(A, n, lower, !trans, right, false, gb, m, k);  // op(T)^{-T} G or G op(T)^{-T}
    if (ra) {
      T *o = dA + b * n * n;
      for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
        const int64_t i = e / n, j = e % n;
        double v = 0;
        if (lower ? j <= i : j >= i) {  // the triangle read; d at (j, i) with trans
          const int64_t r = trans ? j : i, c = trans ? i : j;
          double acc = 0;
          if (right) {
            for (int64_t q = 0; q < m; ++q) acc += double(X[q * k + r]) * gb[q * k + c];
          } else {
            for (int64_t q = 0; q < k; ++q) acc += gb[r * k + q] * X[c * k + q];
          }
          v = -acc;
        }
        Store(o + e, ra, static_cast<T>(v));
      }
    }
    if (rb) {
      T *o = dB + b * m * k;
      for (int64_t e = threadIdx.x; e < m * k; e += blockDim.x) Store(o + e, rb, static_cast<T>(gb[e] * alpha));
    }
    __syncthreads();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// gelqf, syevd
// ---------------------------------------------------------------------------------------------------------------
// Householder LQ (the CPU's Lq): reflector k from row k of R (every thread computes its scalars alike), applied to
// rows k.. of R by their threads; Q = [I 0] H_m ... H_1 row by row.
template <typename T>
__global__ void GelqfK(const T *A, T *Qo, int rq, T *Lo, int rl, int64_t batch, int64_t m, int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double *R = work + b * (3 * m * n + m), *V = R + m * n, *Q = V + m * n, *tau = Q + m * n;
    BlockLoad(A + b * m * n, R, m * n);
    for (int64_t k = 0; k < m; ++k) {
      const double alpha = R[k * n + k];
      double xn = 0;
      for (int64_t j = k + 1; j < n; ++j) xn += R[k * n + j] * R[k * n + j];
      xn = sqrt(xn);
      if (threadIdx.x == 0) tau[k] = 0;
      if (xn == 0) {
        __syncthreads();
        continue;
      }
      const double beta = -copysign(hypot(alpha, xn), alpha), tk = (beta - alpha) / beta;
      double *v = V + k * n;  // v[j] for j >= k
      for (int64_t j = k + threadIdx.x; j < n; j += blockDim.x) v[j] = j == k ? 1.0 : R[k * n + j] / (alpha - beta);
      if (threadIdx.x == 0) tau[k] = tk;
      __syncthreads();
      for (int64_t r = k + threadIdx.x; r < m; r += blockDim.x) {
        double w = 0;
        for (int64_t j = k; j < n; ++j) w += R[r * n + j] * v[j];
        w *= tk;
        for (int64_t j = k; j < n; ++j) R[r * n + j] -= w * v[j];
      }
      __syncthreads();
    }
    if (Lo) {
      T *o = Lo + b * m * m;
      for (int64_t e = threadIdx.x; e < m * m; e += blockDim.x) {
        const int64_t i = e / m, j = e % m;
        Store(o + e, rl, static_cast<T>(j <= i ? R[i * n + j] : 0.0));
      }
    }
    if (Qo) {
      for (int64_t r = threadIdx.x; r < m; r += blockDim.x) {  // row r of Q, through the reflectors in reverse
        double *q = Q + r * n;
        for (int64_t j = 0; j < n; ++j) q[j] = j == r ? 1.0 : 0.0;
        for (int64_t k = m - 1; k >= 0; --k) {
          if (tau[k] == 0) continue;
          const double *v = V + k * n;
          double w = 0;
          for (int64_t j = k; j < n; ++j) w += q[j] * v[j];
          w *= tau[k];
          for (int64_t j = k; j < n; ++j) q[j] -= w * v[j];
        }
      }
      __syncthreads();
      BlockStore(Q, Qo + b * m * n, rq, m * n);
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void GelqfGradK(const T *Qi, const T *Li, const T *dQi, const T *dLi, T *dA, int req, int64_t batch,
                           int64_t m, int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *Q = Qi + b * m * n, *L = Li + b * m * m, *dQ = dQi + b * m * n, *dL = dLi + b * m * m;
    double *S = work + b * (m * m + m * n), *Z = S + m * m;
    for (int64_t e = threadIdx.x; e < m * m; e += blockDim.x) {  // copyltu(L^T dL - dQ Q^T)
      const int64_t i = e / m, j = e % m;
      if (i < j) continue;
      double a = 0, c = 0;
      for (int64_t q = 0; q < m; ++q) a += double(L[q * m + i]) * dL[q * m + j];
      for (int64_t q = 0; q < n; ++q) c += double(dQ[i * n + q]) * Q[j * n + q];
      S[i * m + j] = S[j * m + i] = a - c;
    }
    __syncthreads();
    for (int64_t e = threadIdx.x; e < m * n; e += blockDim.x) {  // S Q + dQ
      const int64_t i = e / n, j = e % n;
      double acc = 0;
      for (int64_t q = 0; q < m; ++q) acc += S[i * m + q] * Q[q * n + j];
      Z[e] = acc + dQ[e];
    }
    __syncthreads();
    BlockTriSolve(L, m, true, true, false, false, Z, m, n);  // L^{-T} Z
    BlockStore(Z, dA + b * m * n, req, m * n);
  }
}

// Cyclic Jacobi (the CPU's Jacobi): each rotation's scalars computed by every thread alike, its column, row and
// eigenvector updates shared out by index; the eigenvalues sorted (stably) by thread 0.
template <typename T>
__global__ void SyevdK(const T *A, T *Uo, int ru, T *lo, int rl, int64_t batch, int64_t n, double *work,
                       int64_t *orders) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *Ab = A + b * n * n;
    double *a = work + b * 2 * n * n, *V = a + n * n;
    int64_t *order = orders + b * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
      const int64_t i = e / n, j = e % n;
      a[e] = static_cast<double>(j <= i ? Ab[i * n + j] : Ab[j * n + i]);
      V[e] = i == j ? 1.0 : 0.0;
    }
    __syncthreads();
    double norm = 0;
    for (int64_t e = 0; e < n * n; ++e) norm += a[e] * a[e];
    for (int sweep = 0; sweep < 100; ++sweep) {
      double off = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          if (i != j) off += a[i * n + j] * a[i * n + j];
      if (off <= 1e-30 * norm || off == 0) break;
      for (int64_t p = 0; p < n; ++p)
        for (int64_t q = p + 1; q < n; ++q) {
          const double apq = a[p * n + q];
          if (apq == 0) continue;
          const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
          const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
          const double c = 1 / sqrt(t * t + 1), s = t * c;
          __syncthreads();  // the scalars are read before the entries change
          for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {  // columns p, q
            const double x = a[k * n + p], y = a[k * n + q];
            a[k * n + p] = c * x - s * y;
            a[k * n + q] = s * x + c * y;
          }
          __syncthreads();
          for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {  // rows p, q; eigenvectors
            const double x = a[p * n + k], y = a[q * n + k];
            a[p * n + k] = c * x - s * y;
            a[q * n + k] = s * x + c * y;
            const double vx = V[k * n + p], vy = V[k * n + q];
            V[k * n + p] = c * vx - s * vy;
            V[k * n + q] = s * vx + c * vy;
          }
          __syncthreads();
        }
      __syncthreads();  // every thread has read `off`'s entries before the next sweep's first rotation
    }
    if (threadIdx.x == 0) {  // stable insertion sort of the diagonal
      for (int64_t i = 0; i < n; ++i) {
        const int64_t key = i;
        int64_t j = i - 1;
        while (j >= 0 && a[key * n + key] < a[order[j] * n + order[j]]) {
          order[j + 1] = order[j];
          --j;
        }
        order[j + 1] = key;
      }
    }
    __syncthreads();
    for (int64_t r = threadIdx.x; r < n; r += blockDim.x) {
      const int64_t c = order[r];
      if (lo) Store(lo + b * n + r, rl, static_cast<T>(a[c * n + c]));
      if (!Uo) continue;
      int64_t big = 0;
      for (int64_t k = 1; k < n; ++k)
        if (fabs(V[k * n + c]) > fabs(V[big * n + c])) big = k;
      const double sg = V[big * n + c] < 0 ? -1.0 : 1.0;
      for (int64_t k = 0; k < n; ++k) Store(Uo + b * n * n + r * n + k, ru, static_cast<T>(sg * V[k * n + c]));
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void SyevdGradK(const T *Ui, const T *lami, const T *dUi, const T *dli, T *dA, int req, int64_t batch,
                           int64_t n, double *work) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T *U = Ui + b * n * n, *lam = lami + b * n, *dU = dUi + b * n * n, *dl = dli + b * n;
    double *W = work + b * 2 * n * n, *P = W + n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {  // W[j][i]
      const int64_t j = e / n, i = e % n;
      if (i == j) {
        W[e] = dl[i];
      } else {
        double k = 0;  // (dU U^T)[i][j]
        for (int64_t q = 0; q < n; ++q) k += double(dU[i * n + q]) * U[j * n + q];
        W[e] = k / (double(lam[i]) - double(lam[j]));
      }
    }
    __syncthreads();
    BlockMul(U, n, true, W, n, false, n, n, n, 1.0, P);  // U^T W
    BlockMul(P, n, false, U, n, false, n, n, n, 1.0, W);  // U^T W U
    T *o = dA + b * n * n;
    for (int64_t e = threadIdx.x; e < n * n; e += blockDim.x) {
      const int64_t i = e / n, j = e % n;
      Store(o + e, req, static_cast<T>(0.5 * (W[i * n + j] + W[j * n + i])));
    }
    __syncthreads();
  }
}

}  // namespace

void Potrf(int dtype, const void *A, void *L, int req, int64_t batch, int64_t n, double *work, int *fail,
           cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, PotrfK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(L), req, batch, n, work, fail));
}

void Potri(int dtype, const void *A, void *out, int req, int64_t batch, int64_t n, double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, PotriK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(out), req, batch, n, work));
}

void Trsm(int dtype, const void *A, const void *B, void *out, int req, int64_t batch, int64_t n, int64_t m,
          int64_t k, bool lower, bool trans, bool right, double alpha, double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(right ? m : k), 0, s, TrsmK<T>)(
                                     static_cast<const T *>(A), static_cast<const T *>(B), static_cast<T *>(out), req,
                                     batch, n, m, k, lower, trans, right, alpha, work));
}

void Inverse(int dtype, const void *A, void *out, int req, int64_t batch, int64_t n, double *work, int64_t *piv,
             int *fail, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, InverseK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(out), req, batch, n, work, piv,
                                     fail));
}

void Det(int dtype, const void *A, void *det, int req_det, void *sign, int req_sign, void *logabs, int req_logabs,
         int64_t batch, int64_t n, double *work, int64_t *piv, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, DetK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(det), req_det,
                                     static_cast<T *>(sign), req_sign, static_cast<T *>(logabs), req_logabs, batch, n,
                                     work, piv));
}

void DetGrad(int dtype, const void *A, const void *g_det, const void *det, const void *g_logabs, void *dA, int req,
             int64_t batch, int64_t n, double *work, int64_t *piv, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, DetGradK<T>)(
                                     static_cast<const T *>(A), static_cast<const T *>(g_det),
                                     static_cast<const T *>(det), static_cast<const T *>(g_logabs),
                                     static_cast<T *>(dA), req, batch, n, work, piv));
}

void PotrfGrad(int dtype, const void *L, const void *G, void *dA, int req, int64_t batch, int64_t n, double *work,
               cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, PotrfGradK<T>)(
                                     static_cast<const T *>(L), static_cast<const T *>(G), static_cast<T *>(dA), req,
                                     batch, n, work));
}

void PotriGrad(int dtype, const void *A, const void *Y, const void *G, void *dA, int req, int64_t batch, int64_t n,
               double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, PotriGradK<T>)(
                                     static_cast<const T *>(A), static_cast<const T *>(Y), static_cast<const T *>(G),
                                     static_cast<T *>(dA), req, batch, n, work));
}

void InverseGrad(int dtype, const void *Y, const void *G, void *dA, int req, int64_t batch, int64_t n, double *work,
                 cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, InverseGradK<T>)(
                                     static_cast<const T *>(Y), static_cast<const T *>(G), static_cast<T *>(dA), req,
                                     batch, n, work));
}

void TrsmGrad(int dtype, const void *A, const void *X, const void *G, void *dA, int req_a, void *dB, int req_b,
              int64_t batch, int64_t n, int64_t m, int64_t k, bool lower, bool trans, bool right, double alpha,
              double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(right ? m : k), 0, s, TrsmGradK<T>)(
                                     static_cast<const T *>(A), static_cast<const T *>(X), static_cast<const T *>(G),
                                     static_cast<T *>(dA), dA ? req_a : 0, static_cast<T *>(dB), dB ? req_b : 0,
                                     batch, n, m, k, lower, trans, right, alpha, work));
}

void Gelqf(int dtype, const void *A, void *Q, int req_q, void *L, int req_l, int64_t batch, int64_t m, int64_t n,
           double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(m), 0, s, GelqfK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(Q), req_q, static_cast<T *>(L),
                                     req_l, batch, m, n, work));
}

void GelqfGrad(int dtype, const void *Q, const void *L, const void *dQ, const void *dL, void *dA, int req,
               int64_t batch, int64_t m, int64_t n, double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, GelqfGradK<T>)(
                                     static_cast<const T *>(Q), static_cast<const T *>(L),
                                     static_cast<const T *>(dQ), static_cast<const T *>(dL), static_cast<T *>(dA),
                                     req, batch, m, n, work));
}

void Syevd(int dtype, const void *A, void *U, int req_u, void *lam, int req_l, int64_t batch, int64_t n, double *work,
           int64_t *order, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, SyevdK<T>)(
                                     static_cast<const T *>(A), static_cast<T *>(U), req_u, static_cast<T *>(lam),
                                     req_l, batch, n, work, order));
}

void SyevdGrad(int dtype, const void *U, const void *lam, const void *dU, const void *dlam, void *dA, int req,
               int64_t batch, int64_t n, double *work, cudaStream_t s) {
  if (batch <= 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(MatGrid(batch), MatThreads(n), 0, s, SyevdGradK<T>)(
                                     static_cast<const T *>(U), static_cast<const T *>(lam),
                                     static_cast<const T *>(dU), static_cast<const T *>(dlam), static_cast<T *>(dA),
                                     req, batch, n, work));
}

}  // namespace cuda
}  // namespace mxc
