// Row-major GEMM: C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T. OpenBLAS when built with it, else a
// blocked fallback. A is MxK after op, B is KxN after op, C is MxN; lda/ldb/ldc are row strides in elements.
#pragma once

#include <cstdint>

namespace mxc {
namespace op {

void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
          const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
          const double *B, int64_t ldb, double beta, double *C, int64_t ldc);

}  // namespace op
}  // namespace mxc
