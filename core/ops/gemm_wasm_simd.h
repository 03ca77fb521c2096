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

inline void Store(float s, float alpha, float beta, float *out) { *out = beta == 0.f ? alpha * s : alpha * s + beta * *out; }

#define MXC_WASM_MULADD(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))

// The blocks are written out by hand: with arrays of accumulators and loops over them, clang keeps the
// accumulators in memory instead of locals. The main loops take 8 floats of K per iteration with pointers bumped
// once (loads then use constant offsets) and 32-bit counters (no i64 arithmetic in wasm32).
__attribute__((noinline)) inline void Dot4x2(int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                   float *C, int64_t ldc) {
  const float *a0 = A, *a1 = A + lda, *a2 = A + 2 * lda, *a3 = A + 3 * lda, *b0 = B, *b1 = B + ldb;
  v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (uint32_t n = static_cast<uint32_t>(K >> 3); n; --n) {
    v128_t x0 = wasm_v128_load(b0), x1 = wasm_v128_load(b1), y;
    y = wasm_v128_load(a0), MXC_WASM_MULADD(c00, y, x0), MXC_WASM_MULADD(c01, y, x1);
    y = wasm_v128_load(a1), MXC_WASM_MULADD(c10, y, x0), MXC_WASM_MULADD(c11, y, x1);
    y = wasm_v128_load(a2), MXC_WASM_MULADD(c20, y, x0), MXC_WASM_MULADD(c21, y, x1);
    y = wasm_v128_load(a3), MXC_WASM_MULADD(c30, y, x0), MXC_WASM_MULADD(c31, y, x1);
    x0 = wasm_v128_load(b0 + 4), x1 = wasm_v128_load(b1 + 4);
    y = wasm_v128_load(a0 + 4), MXC_WASM_MULADD(c00, y, x0), MXC_WASM_MULADD(c01, y, x1);
    y = wasm_v128_load(a1 + 4), MXC_WASM_MULADD(c10, y, x0), MXC_WASM_MULADD(c11, y, x1);
    y = wasm_v128_load(a2 + 4), MXC_WASM_MULADD(c20, y, x0), MXC_WASM_MULADD(c21, y, x1);
    y = wasm_v128_load(a3 + 4), MXC_WASM_MULADD(c30, y, x0), MXC_WASM_MULADD(c31, y, x1);
    a0 += 8, a1 += 8, a2 += 8, a3 += 8, b0 += 8, b1 += 8;
  }
  if (K & 4) {
    const v128_t x0 = wasm_v128_load(b0), x1 = wasm_v128_load(b1);
    v128_t y = wasm_v128_load(a0);
    MXC_WASM_MULADD(c00, y, x0), MXC_WASM_MULADD(c01, y, x1);
    y = wasm_v128_load(a1), MXC_WASM_MULADD(c10, y, x0), MXC_WASM_MULADD(c11, y, x1);
    y = wasm_v128_load(a2), MXC_WASM_MULADD(c20, y, x0), MXC_WASM_MULADD(c21, y, x1);
    y = wasm_v128_load(a3), MXC_WASM_MULADD(c30, y, x0), MXC_WASM_MULADD(c31, y, x1);
    a0 += 4, a1 += 4, a2 += 4, a3 += 4, b0 += 4, b1 += 4;
  }
  float s[8] = {HorizontalSum(c00), HorizontalSum(c01), HorizontalSum(c10), HorizontalSum(c11),
                HorizontalSum(c20), HorizontalSum(c21), HorizontalSum(c30), HorizontalSum(c31)};
  for (uint32_t k = 0, rest = static_cast<uint32_t>(K & 3); k < rest; ++k) {
    s[0] += a0[k] * b0[k], s[1] += a0[k] * b1[k], s[2] += a1[k] * b0[k], s[3] += a1[k] * b1[k];
    s[4] += a2[k] * b0[k], s[5] += a2[k] * b1[k], s[6] += a3[k] * b0[k], s[7] += a3[k] * b1[k];
  }
  for (int r = 0; r < 4; ++r) {
    Store(s[2 * r], alpha, beta, C + r * ldc);
    Store(s[2 * r + 1], alpha, beta, C + r * ldc + 1);
  }
}

__attribute__((noinline)) inline void Dot1x4(int64_t K, float alpha, const float *A, const float *B, int64_t ldb, float beta, float *C) {
  const float *a = A, *b0 = B, *b1 = B + ldb, *b2 = B + 2 * ldb, *b3 = B + 3 * ldb;
  v128_t c0 = wasm_f32x4_splat(0.f), c1 = c0, c2 = c0, c3 = c0;
  for (uint32_t n = static_cast<uint32_t>(K >> 3); n; --n) {
    v128_t y = wasm_v128_load(a);
    MXC_WASM_MULADD(c0, y, wasm_v128_load(b0)), MXC_WASM_MULADD(c1, y, wasm_v128_load(b1));
    MXC_WASM_MULADD(c2, y, wasm_v128_load(b2)), MXC_WASM_MULADD(c3, y, wasm_v128_load(b3));
    y = wasm_v128_load(a + 4);
    MXC_WASM_MULADD(c0, y, wasm_v128_load(b0 + 4)), MXC_WASM_MULADD(c1, y, wasm_v128_load(b1 + 4));
    MXC_WASM_MULADD(c2, y, wasm_v128_load(b2 + 4)), MXC_WASM_MULADD(c3, y, wasm_v128_load(b3 + 4));
    a += 8, b0 += 8, b1 += 8, b2 += 8, b3 += 8;
  }
  if (K & 4) {
    const v128_t y = wasm_v128_load(a);
    MXC_WASM_MULADD(c0, y, wasm_v128_load(b0)), MXC_WASM_MULADD(c1, y, wasm_v128_load(b1));
    MXC_WASM_MULADD(c2, y, wasm_v128_load(b2)), MXC_WASM_MULADD(c3, y, wasm_v128_load(b3));
    a += 4, b0 += 4, b1 += 4, b2 += 4, b3 += 4;
  }
  float s[4] = {HorizontalSum(c0), HorizontalSum(c1), HorizontalSum(c2), HorizontalSum(c3)};
  for (uint32_t k = 0, rest = static_cast<uint32_t>(K & 3); k < rest; ++k) {
    s[0] += a[k] * b0[k], s[1] += a[k] * b1[k], s[2] += a[k] * b2[k], s[3] += a[k] * b3[k];
  }
  for (int c = 0; c < 4; ++c) Store(s[c], alpha, beta, C + c);
}

inline void Dot1x1(int64_t K, float alpha, const float *A, const float *B, float beta, float *C) {
  v128_t c0 = wasm_f32x4_splat(0.f);
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load(A + k), wasm_v128_load(B + k)));
  float s = HorizontalSum(c0);
  for (; k < K; ++k) s += A[k] * B[k];
  Store(s, alpha, beta, C);
}

inline void GemmNT(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                   int64_t ldb, float beta, float *C, int64_t ldc) {
  // Rows of B per panel: about 64 KiB of B stays in cache while every row of A passes over it.
  int64_t panel = K > 0 ? (16384 + K - 1) / K : N;
  panel = panel < 8 ? 8 : panel;
  const int64_t m4 = M - M % 4;
  for (int64_t j0 = 0; j0 < N; j0 += panel) {
    const int64_t j1 = j0 + panel < N ? j0 + panel : N;
    for (int64_t i = 0; i < m4; i += 4) {
      const float *a = A + i * lda;
      float *c = C + i * ldc;
      int64_t j = j0;
      for (; j + 2 <= j1; j += 2) Dot4x2(K, alpha, a, lda, B + j * ldb, ldb, beta, c + j, ldc);
      for (; j < j1; ++j)
        for (int r = 0; r < 4; ++r) Dot1x1(K, alpha, a + r * lda, B + j * ldb, beta, c + r * ldc + j);
    }
    for (int64_t i = m4; i < M; ++i) {
      const float *a = A + i * lda;
      float *c = C + i * ldc;
      int64_t j = j0;
      for (; j + 4 <= j1; j += 4) Dot1x4(K, alpha, a, B + j * ldb, ldb, beta, c + j);
      for (; j < j1; ++j) Dot1x1(K, alpha, a, B + j * ldb, beta, c + j);
    }
  }
}

#undef MXC_WASM_MULADD

}  // namespace wasm_simd
}  // namespace op
}  // namespace mxc
#endif  // __wasm_simd128__
