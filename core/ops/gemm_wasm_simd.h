// WebAssembly SIMD128 kernel for the GEMM shape of FullyConnected's forward pass, C = alpha * A * B^T + beta * C
// (A is MxK, B is NxK, both row-major: every output element is a dot product of two contiguous rows). Used by
// gemm.cc in builds without BLAS compiled with -msimd128 (the Emscripten build in bindings/js); other builds never
// include it.
//
// Register blocking: MR rows of A times NR rows of B accumulate MR*NR vectors of 4 partial sums over K, so every
// loaded vector is used NR (or MR) times; 4x2 keeps the 8 accumulators and the 6 loaded vectors in the 16 vector
// registers of x86-64 engines. Cache blocking: a panel of kPanel rows of B stays in L1/L2 while all rows of A pass
// over it.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstdint>

namespace mxc {
namespace op {
namespace wasm_simd {

inline float HorizontalSum(v128_t v) {
  v128_t s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

template <int MR, int NR>
inline void DotBlock(int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc) {
  v128_t acc[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) acc[r][c] = wasm_f32x4_splat(0.f);
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    v128_t b[NR];
    for (int c = 0; c < NR; ++c) b[c] = wasm_v128_load(B + c * ldb + k);
    for (int r = 0; r < MR; ++r) {
      v128_t a = wasm_v128_load(A + r * lda + k);
      for (int c = 0; c < NR; ++c) acc[r][c] = wasm_f32x4_add(acc[r][c], wasm_f32x4_mul(a, b[c]));
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float s = HorizontalSum(acc[r][c]);
      for (int64_t kk = k; kk < K; ++kk) s += A[r * lda + kk] * B[c * ldb + kk];
      float *out = C + r * ldc + c;
      *out = beta == 0.f ? alpha * s : alpha * s + beta * *out;
    }
}

// Rows [i0, i1) of C against all N columns, with MR rows of A per block.
template <int MR, int NR>
inline void RowsNT(int64_t i0, int64_t i1, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                   const float *B, int64_t ldb, float beta, float *C, int64_t ldc, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; i += MR) {
    int64_t j = j0;
    for (; j + NR <= j1; j += NR)
      DotBlock<MR, NR>(K, alpha, A + i * lda, lda, B + j * ldb, ldb, beta, C + i * ldc + j, ldc);
    for (; j < j1; ++j) DotBlock<MR, 1>(K, alpha, A + i * lda, lda, B + j * ldb, ldb, beta, C + i * ldc + j, ldc);
  }
  (void)N;
}

inline void GemmNT(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                   int64_t ldb, float beta, float *C, int64_t ldc) {
  // Rows of B per panel: about 64 KiB of B stays in cache while every row of A passes over it.
  int64_t panel = K > 0 ? (16384 + K - 1) / K : N;
  panel = panel < 8 ? 8 : panel;
  const int64_t m4 = M - M % 4;
  for (int64_t j0 = 0; j0 < N; j0 += panel) {
    const int64_t j1 = j0 + panel < N ? j0 + panel : N;
    RowsNT<4, 2>(0, m4, N, K, alpha, A, lda, B, ldb, beta, C, ldc, j0, j1);
    RowsNT<1, 4>(m4, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, j0, j1);
  }
}

}  // namespace wasm_simd
}  // namespace op
}  // namespace mxc
#endif  // __wasm_simd128__
