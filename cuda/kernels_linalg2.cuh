// GPU kernels of the linalg factorizations behind the raw-pointer boundary (registered by cuda/gpu_ops_linalg2.cc):
// _linalg_potrf, _linalg_potri, _linalg_trsm, _linalg_inverse, _linalg_det, _linalg_slogdet, _linalg_gelqf and
// _linalg_syevd, forward and gradient. dtype codes are kernels.cuh's DTypeCode (0 float32, 1 float64); req codes
// are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
//
// Every function works on a batch of row-major matrices, one thread block per matrix (its rows or columns processed
// by the block's threads), in double precision as the CPU kernels (core/ops/linalg_la.cc) with their algorithms and
// summation orders: Cholesky of the lower triangle, triangular substitution, LU with partial pivoting (the first
// largest |pivot| of a column, rows swapped as it goes), Householder LQ, cyclic Jacobi rotations. `work` is device
// scratch of at least the doubles each function names; `piv` int64 scratch of batch * n.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// Doubles of scratch per matrix each function below needs (n: the square matrices' size; m x k: trsm's B).
inline int64_t PotrfWork(int64_t n) { return n * n; }
inline int64_t PotriWork(int64_t n) { return n * n; }
inline int64_t PotrfGradWork(int64_t n) { return 2 * n * n; }
inline int64_t PotriGradWork(int64_t n) { return 2 * n * n; }
inline int64_t LuWork(int64_t n) { return 2 * n * n; }  // inverse, det/slogdet and their gradients
inline int64_t InverseGradWork(int64_t n) { return n * n; }
inline int64_t TrsmWork(int64_t m, int64_t k) { return m * k; }
inline int64_t GelqfWork(int64_t m, int64_t n) { return 3 * m * n + m; }
inline int64_t GelqfGradWork(int64_t m, int64_t n) { return m * m + m * n; }
inline int64_t SyevdWork(int64_t n) { return 2 * n * n; }
inline int64_t SyevdGradWork(int64_t n) { return 2 * n * n; }

// L (req) = the Cholesky factor of the lower triangle of each n x n matrix of A (upper triangle zero); fail[b] = 1
// where matrix b is not positive definite (fail: batch ints, zeroed by the caller).
void Potrf(int dtype, const void *A, void *L, int req, int64_t batch, int64_t n, double *work, int *fail,
           cudaStream_t s);
// out (req) = (L L^T)^{-1} with L the lower triangle of each matrix of A.
void Potri(int dtype, const void *A, void *out, int req, int64_t batch, int64_t n, double *work, cudaStream_t s);
// out (req) = alpha op(T)^{-1} B (or alpha B op(T)^{-1} with right), T the lower (or upper) triangle of the n x n
// matrices of A, B a batch of m x k matrices.
void Trsm(int dtype, const void *A, const void *B, void *out, int req, int64_t batch, int64_t n, int64_t m,
          int64_t k, bool lower, bool trans, bool right, double alpha, double *work, cudaStream_t s);
// out (req) = A^{-1} by LU; fail[b] = 1 where matrix b is singular (a zero pivot).
void Inverse(int dtype, const void *A, void *out, int req, int64_t batch, int64_t n, double *work, int64_t *piv,
             int *fail, cudaStream_t s);
// det (req_det) = det A, or sign (req_sign) and logabs (req_logabs) = log |det A| (slogdet; det null). Null outputs
// are skipped.
void Det(int dtype, const void *A, void *det, int req_det, void *sign, int req_sign, void *logabs, int req_logabs,
         int64_t batch, int64_t n, double *work, int64_t *piv, cudaStream_t s);

// dA (req) = f A^{-T} per matrix with f = g_det * det (g_logabs null) or f = g_logabs (slogdet).
void DetGrad(int dtype, const void *A, const void *g_det, const void *det, const void *g_logabs, void *dA, int req,
             int64_t batch, int64_t n, double *work, int64_t *piv, cudaStream_t s);
// dA (req) = 0.5 L^{-T} copyltu(L^T G) L^{-1} (L the forward's output, full matrices in the product).
void PotrfGrad(int dtype, const void *L, const void *G, void *dA, int req, int64_t batch, int64_t n, double *work,
               cudaStream_t s);
// dA (req) = -tril(Y (G + G^T) Y tril(A)), Y the forward's output.
void PotriGrad(int dtype, const void *A, const void *Y, const void *G, void *dA, int req, int64_t batch, int64_t n,
               double *work, cudaStream_t s);
// dA (req) = -Y^T G Y^T, Y the forward's output.
void InverseGrad(int dtype, const void *Y, const void *G, void *dA, int req, int64_t batch, int64_t n, double *work,
                 cudaStream_t s);
// With Gb = op(T)^{-T} G (or G op(T)^{-T}): dB (req_b) = alpha Gb; dA (req_a) = the triangle read of
// -Gb X^T (or -X^T Gb), transposed first with trans. X: the forward's output. Null / req 0 skips a gradient.
void TrsmGrad(int dtype, const void *A, const void *X, const void *G, void *dA, int req_a, void *dB, int req_b,
              int64_t batch, int64_t n, int64_t m, int64_t k, bool lower, bool trans, bool right, double alpha,
              double *work, cudaStream_t s);

// Householder LQ of each m x n matrix of A (m <= n; LAPACK's signs): Q (req_q; m x n, orthonormal rows) and L
// (req_l; m x m, lower). Null outputs are skipped.
void Gelqf(int dtype, const void *A, void *Q, int req_q, void *L, int req_l, int64_t batch, int64_t m, int64_t n,
           double *work, cudaStream_t s);
// dA (req) = L^{-T} (dQ + copyltu(L^T dL - dQ Q^T) Q) from the forward's outputs Q, L and their gradients.
void GelqfGrad(int dtype, const void *Q, const void *L, const void *dQ, const void *dL, void *dA, int req,
               int64_t batch, int64_t m, int64_t n, double *work, cudaStream_t s);
// Cyclic Jacobi eigendecomposition of the symmetric matrices whose lower triangle A holds: U (req_u; rows the
// eigenvectors, each with its largest-magnitude entry positive) and lam (req_l; ascending, ties in Jacobi's order).
// order: int64 scratch of batch * n.
void Syevd(int dtype, const void *A, void *U, int req_u, void *lam, int req_l, int64_t batch, int64_t n, double *work,
           int64_t *order, cudaStream_t s);
// dA (req) = sym(U^T W U), W[j][i] = dlam_i (i == j) or (dU U^T)[i][j] / (lam_i - lam_j).
void SyevdGrad(int dtype, const void *U, const void *lam, const void *dU, const void *dlam, void *dA, int req,
               int64_t batch, int64_t n, double *work, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
