// GPU kernels of cuda/sparse.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_sparse.cc): the CSR
// operators of core/ops/sparse.cc. Data/rhs float32 or float64 (dtype codes 0, 1); indices and indptr in any numeric
// dtype (codes 0, 1, 3, 4, 5, 6), converted to int64 first. req codes are OpReq's: 0 skip, 1 write, 2 write in
// place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// dst[i] = int64(src[i]) for i < n; false for an index dtype not covered.
bool CsrIndexToI64(int dtype, const void *src, int64_t *dst, int64_t n, cudaStream_t s);
// The number of violations of the CSR structure: indptr[0] != 0, indptr[M] != nnz, a decreasing indptr step, a
// column index outside [0, K); written to *bad (a device int64, overwritten).
void CsrCheck(const int64_t *col, const int64_t *ptr, int64_t M, int64_t nnz, int64_t K, long long *bad,
              cudaStream_t s);

// The entries' order by column (for A^T products): the row of each entry (row, nnz), the column offsets
// (colptr, K + 1) and the entries of each column in increasing entry order (perm, nnz). work: K int64 of scratch.
void CsrColumnOrder(const int64_t *col, const int64_t *ptr, int64_t M, int64_t nnz, int64_t K, int64_t *row,
                    int64_t *colptr, int64_t *perm, unsigned long long *work, cudaStream_t s);

// y (M x N, req) = A x: y[r, n] = sum over entries e of row r (increasing) of a[e] x[col[e], n], in double.
void CsrTimes(int dtype, const int64_t *col, const int64_t *ptr, const void *a, const void *x, int64_t M, int64_t N,
              void *y, int req, cudaStream_t s);
// y (K x N, req) = A^T x: y[c, n] = sum over entries e of column c (increasing e) of a[e] x[row[e], n], in double.
void CsrTransTimes(int dtype, const int64_t *row, const int64_t *colptr, const int64_t *perm, const void *a,
                   const void *x, int64_t K, int64_t N, void *y, int req, cudaStream_t s);
// g[e] (req) = sum_n dy[u(e), n] x[v(e), n] in double, with (u, v) = (row, col) or, transposed, (col, row).
void CsrDotDataGrad(int dtype, const int64_t *row, const int64_t *col, bool transposed, const void *dy,
                    const void *x, int64_t nnz, int64_t N, void *g, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
