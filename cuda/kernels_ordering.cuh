// GPU kernels of the ordering operators (topk, sort, argsort) behind the raw-pointer boundary (registered by
// cuda/gpu_ops_ordering.cc). dtype codes are kernels.cuh's DTypeCode: data float32/float64 or an integer dtype
// (uint8, int8, int32, int64); positions (idx_dtype) the same set. req codes are OpReq's: 0 skip, 1 write,
// 2 write in place, 3 add.
//
// The data is seen as rows of n elements along the ordered axis: (outer, n, inner), row r = o * inner + i.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// perm[r * n + j] = the position of the j-th element of row r in a stable order (ties keep the input order):
// ascending with NaN last, or descending with NaN first. tmp: scratch of the same size (outer * inner * n).
void OrderRows(int dtype, const void *x, int64_t outer, int64_t n, int64_t inner, bool ascend, int64_t *perm,
               int64_t *tmp, cudaStream_t s);
// For the k first positions of each ordered row: vals[o, j, i] (=|+=) x[o, perm[r, j], i] (vals null: skipped) and
// idx[o, j, i] (=|+=) perm[r, j] in idx_dtype (idx null: skipped).
void OrderGather(int dtype, const void *x, const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k,
                 void *vals, int vreq, int idx_dtype, void *idx, int ireq, cudaStream_t s);
// mask (of x's shape and dtype) (=|+=) 1 at the k first positions of each ordered row, 0 elsewhere.
void OrderMask(int dtype, const int64_t *perm, int64_t outer, int64_t n, int64_t inner, int64_t k, void *mask,
               int req, cudaStream_t s);
// grad (zeroed first unless req is add) [o, idx[o, j, i], i] += g[o, j, i] for j < k: the gradient of the picked
// values (positions a narrow idx_dtype repeats within a row all add: atomic except for 8-bit integer data). k = 0
// only zeroes.
void OrderScatterGrad(int dtype, const void *g, int idx_dtype, const void *idx, int64_t outer, int64_t n,
                      int64_t inner, int64_t k, void *grad, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
