// The CSR structure check shared by the CPU kernels (core/ops/sparse.cc) and the GPU glue (cuda/gpu_ops_sparse.cc).
#pragma once

#include <cstdint>

#include "operator.h"

namespace mxc {
namespace op {

// Throws a ValueError naming the operator unless indptr (np1 = M + 1 entries) starts at 0, never decreases and ends
// at nnz, and every column index is in [0, K).
inline void CheckCsr(const Op *op, const int64_t *col, int64_t nnz, const int64_t *ptr, int64_t np1, int64_t K) {
  MXC_CHECK(ptr[0] == 0 && ptr[np1 - 1] == nnz, ErrorKind::kValue, "operator ", op->name,
            ": indptr must start at 0 and end at nnz = ", nnz, ", got ", ptr[0], " and ", ptr[np1 - 1]);
  for (int64_t r = 0; r + 1 < np1; ++r)
    MXC_CHECK(ptr[r] <= ptr[r + 1], ErrorKind::kValue, "operator ", op->name, ": indptr must not decrease, got indptr[",
              r, "] = ", ptr[r], " > indptr[", r + 1, "] = ", ptr[r + 1]);
  for (int64_t e = 0; e < nnz; ++e)
    MXC_CHECK(col[e] >= 0 && col[e] < K, ErrorKind::kValue, "operator ", op->name, ": column index ", col[e],
              " (entry ", e, ") is out of range for num_cols = ", K);
}

}  // namespace op
}  // namespace mxc
