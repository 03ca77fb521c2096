// GPU kernels of cuda/sparse2.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_sparse2.cc): the
// storage conversions of core/ops/sparse_convert.cc. Values in float32, float64 or an integer dtype (codes 0, 1, 3,
// 4, 5, 6; the functions taking a dtype return false for any other); indices already int64. req codes are OpReq's:
// 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// cnt[r] (M entries) = the number of nonzeros of row r of x (M x inner), or with any_row 1 when it has one, else 0.
bool SpRowCount(int dtype, const void *x, int64_t M, int64_t inner, bool any_row, int64_t *cnt, cudaStream_t s);
// ptr[0..n] (req) = exclusive prefix sum of cnt[0..n-1] (ptr[n]: the total).
void SpScan(const int64_t *cnt, int64_t n, int64_t *ptr, int req, cudaStream_t s);
// *bad += the violations of a prefix array ptr[0..n]: ptr[0] != 0, ptr[n] != total, a step outside [0, max_step].
void SpCheckPrefix(const int64_t *ptr, int64_t n, int64_t total, int64_t max_step, unsigned long long *bad,
                   cudaStream_t s);
// The nonzeros of x (M x K) row by row into val/col (nnz entries) at the positions ptr gives; a row whose nonzero
// count differs from its ptr step adds to *bad (writes stay inside [0, nnz)).
bool SpCsrFill(int dtype, const void *x, int64_t M, int64_t K, const int64_t *ptr, int64_t nnz, void *val,
               int req_val, int64_t *col, int req_col, unsigned long long *bad, cudaStream_t s);
// y[ptr[i]] = x[i] (rows of inner elements) and pos[ptr[i]] = i for the rows i with ptr[i + 1] > ptr[i] (count rows
// kept; writes stay inside).
bool SpCompact(int dtype, const void *x, int64_t M, int64_t inner, const int64_t *ptr, int64_t count, void *y,
               int req_y, int64_t *pos, int req_pos, cudaStream_t s);
// mark[r] (R entries) = 1 for the rows named in ix (n entries, clipped into [0, R)), else 0.
void SpMarkRows(const int64_t *ix, int64_t n, int64_t R, int64_t *mark, cudaStream_t s);
// y[i] (rows of inner elements, req) = the row of x whose index (ix, M increasing) is keep[i], zeros where none is
// (lower bound search: the first of repeated indices).
bool SpRetain(int dtype, const void *x, const int64_t *ix, int64_t M, int64_t inner, const int64_t *keep, int64_t k,
              void *y, int req, cudaStream_t s);
// y (M x K, req) = the dense form of the CSR matrix (a, col, ptr): y[r, c] = the entries (r, c) summed in T in
// increasing entry order, starting from 0.
bool SpCsrToDense(int dtype, const void *a, const int64_t *col, const int64_t *ptr, int64_t M, int64_t K, void *y,
                  int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
