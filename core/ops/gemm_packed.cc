#include "gemm_packed.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "cpu_dispatch.h"

#ifdef MXC_CPU_DISPATCH
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace mxc {
namespace op {

namespace {
// AVX2: panels of 16 columns (two registers), tiles of 6 rows: 6 x 2 accumulators + 2 of B + 1 of A = 15 of the 16
// registers; K in blocks of 256 (a panel's block is 16 KiB, in L1 while the rows go past it).
constexpr int64_t kPanel = 16;
constexpr int kRows = 6;
constexpr int64_t kBlockK = 256;
// AVX-512: panels of 32 columns (two registers), tiles of 8 rows: 16 accumulators of the 32 registers, one
// broadcast of A per two multiply-adds; K in blocks of 128 (16 KiB again).
constexpr int64_t kPanel512 = 32;
constexpr int kRows512 = 8;
constexpr int64_t kBlockK512 = 128;

std::atomic<bool> g_allow_avx512{true};

bool UseAvx512() {
#ifdef MXC_CPU_DISPATCH
  // MXC_GEMM_AVX512=0 keeps the AVX2 kernel on a processor with AVX-512.
  static const bool has = __builtin_cpu_supports("avx512f") && [] {
    const char *env = std::getenv("MXC_GEMM_AVX512");
    return !env || std::atoi(env) != 0;
  }();
  return has && g_allow_avx512.load(std::memory_order_relaxed) && ActiveCpuIsa() == CpuIsa::kAvx2;
#else
  return false;
#endif
}
}  // namespace

bool AllowPackedGemmAvx512(bool allow) { return g_allow_avx512.exchange(allow); }

int64_t PackedGemmWidth() { return UseAvx512() ? kPanel512 : kPanel; }

bool PackedGemmAvailable() {
#ifdef MXC_CPU_DISPATCH
  return ActiveCpuIsa() == CpuIsa::kAvx2;
#else
  return false;
#endif
}

void PackB(bool tb, int64_t K, int64_t N, const float *B, int64_t ldb, PackedB *out) {
  const int64_t w = PackedGemmWidth();
  const int64_t np = (N + w - 1) / w;
  out->K = K;
  out->N = N;
  out->width = w;
  out->data.resize(static_cast<size_t>(np * K * w));
  if (N % w) std::fill(out->data.begin() + (np - 1) * K * w, out->data.end(), 0.0f);  // the last panel's padding
  for (int64_t p = 0; p < np; ++p) {
    float *dst = out->data.data() + p * K * w;
    const int64_t j0 = p * w, cols = std::min(w, N - j0);
    if (!tb) {
      for (int64_t k = 0; k < K; ++k) std::memcpy(dst + k * w, B + k * ldb + j0, cols * sizeof(float));
    } else {
      for (int64_t j = 0; j < cols; ++j) {
        const float *src = B + (j0 + j) * ldb;
        for (int64_t k = 0; k < K; ++k) dst[k * w + j] = src[k];
      }
    }
  }
}

#ifdef MXC_CPU_DISPATCH
namespace {

// One tile: rows [0, R) x the panel's 16 columns (the first `cols` written) over kc values of K.
// C = alpha * acc + beta * C + bias.
template <int R>
__attribute__((target("avx2,fma"))) void Tile(int64_t kc, const float *A, int64_t ars, int64_t aks, const float *P,
                                               float alpha, float beta, const float *bias, float *C, int64_t ldc,
                                               int64_t cols) {
  __m256 c0[R], c1[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = _mm256_setzero_ps();
  if (aks == 1) {
    for (int64_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_loadu_ps(P + k * kPanel), b1 = _mm256_loadu_ps(P + k * kPanel + 8);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(A + r * ars + k);
        c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
      }
    }
  } else {
    for (int64_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_loadu_ps(P + k * kPanel), b1 = _mm256_loadu_ps(P + k * kPanel + 8);
      const float *a_k = A + k * aks;
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(a_k + r * ars);
        c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
      }
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  float tmp[kPanel];
  if (bias) {
    if (cols == kPanel) {
      bias0 = _mm256_loadu_ps(bias);
      bias1 = _mm256_loadu_ps(bias + 8);
    } else {
      std::fill(tmp, tmp + kPanel, 0.0f);
      std::memcpy(tmp, bias, cols * sizeof(float));
      bias0 = _mm256_loadu_ps(tmp);
      bias1 = _mm256_loadu_ps(tmp + 8);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float *c = C + r * ldc;
    __m256 v0 = _mm256_fmadd_ps(va, c0[r], bias0), v1 = _mm256_fmadd_ps(va, c1[r], bias1);
    if (cols == kPanel) {
      if (beta != 0.0f) {
        v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), v0);
        v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), v1);
      }
      _mm256_storeu_ps(c, v0);
      _mm256_storeu_ps(c + 8, v1);
    } else {
      _mm256_storeu_ps(tmp, v0);
      _mm256_storeu_ps(tmp + 8, v1);
      for (int64_t j = 0; j < cols; ++j) c[j] = beta != 0.0f ? tmp[j] + beta * c[j] : tmp[j];
    }
  }
}

// The same with AVX-512 registers: rows [0, R) x 32 columns; edges by masked loads and stores.
template <int R>
__attribute__((target("avx512f"))) void Tile512(int64_t kc, const float *A, int64_t ars, int64_t aks,
                                                 const float *P, float alpha, float beta, const float *bias,
                                                 float *C, int64_t ldc, int64_t cols) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
  if (aks == 1) {
    for (int64_t k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_loadu_ps(P + k * kPanel512), b1 = _mm512_loadu_ps(P + k * kPanel512 + 16);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512 a = _mm512_set1_ps(A[r * ars + k]);
        c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
      }
    }
  } else {
    for (int64_t k = 0; k < kc; ++k) {
      const __m512 b0 = _mm512_loadu_ps(P + k * kPanel512), b1 = _mm512_loadu_ps(P + k * kPanel512 + 16);
      const float *a_k = A + k * aks;
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512 a = _mm512_set1_ps(a_k[r * ars]);
        c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
      }
    }
  }
  const __mmask16 m0 = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
  const __mmask16 m1 = static_cast<__mmask16>(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float *c = C + r * ldc;
    __m512 v0 = _mm512_fmadd_ps(va, c0[r], bias0), v1 = _mm512_fmadd_ps(va, c1[r], bias1);
    if (beta != 0.0f) {
      v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), v0);
      v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), v1);
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
  }
}

using TileFn = void (*)(int64_t, const float *, int64_t, int64_t, const float *, float, float, const float *, float *,
                        int64_t, int64_t);
constexpr TileFn kTiles[kRows + 1] = {nullptr, Tile<1>, Tile<2>, Tile<3>, Tile<4>, Tile<5>, Tile<6>};
constexpr TileFn kTiles512[kRows512 + 1] = {nullptr,    Tile512<1>, Tile512<2>, Tile512<3>, Tile512<4>,
                                            Tile512<5>, Tile512<6>, Tile512<7>, Tile512<8>};

}  // namespace
#endif

void GemmPackedRows(int64_t r0, int64_t r1, float alpha, const float *A, int64_t ars, int64_t aks, const PackedB &B,
                    float beta, const float *bias, float *C, int64_t ldc) {
#ifdef MXC_CPU_DISPATCH
  const bool wide = B.width == kPanel512;
  const int64_t K = B.K, N = B.N, width = B.width, np = (N + width - 1) / width;
  const int64_t block = wide ? kBlockK512 : kBlockK, tile_rows = wide ? kRows512 : kRows;
  const TileFn *tiles = wide ? kTiles512 : kTiles;
  if (K == 0) {  // no products: alpha * 0
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = 0; j < N; ++j)
        C[i * ldc + j] = (beta != 0.0f ? beta * C[i * ldc + j] : 0.0f) + (bias ? bias[j] : 0.0f);
    return;
  }
  for (int64_t k0 = 0; k0 < K; k0 += block) {
    const int64_t kc = std::min(block, K - k0);
    const bool first = k0 == 0;
    for (int64_t i = r0; i < r1; i += tile_rows) {
      const TileFn tile = tiles[std::min(tile_rows, r1 - i)];
      for (int64_t p = 0; p < np; ++p) {
        tile(kc, A + i * ars + k0 * aks, ars, aks, B.Panel(p) + k0 * width, alpha, first ? beta : 1.0f,
             first && bias ? bias + p * width : nullptr, C + i * ldc + p * width, ldc,
             std::min(width, N - p * width));
      }
    }
  }
#else
  (void)r0, (void)r1, (void)alpha, (void)A, (void)ars, (void)aks, (void)B, (void)beta, (void)bias, (void)C, (void)ldc;
#endif
}

int PackedGemmThreads(int64_t rows, double work, int64_t min_rows) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  const int64_t by_rows = rows / std::max<int64_t>(min_rows, 1);
  const int64_t by_work = static_cast<int64_t>(work / (1 << 16));
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({omp_get_max_threads(), by_rows, by_work})));
#else
  (void)rows, (void)work, (void)min_rows;
  return 1;
#endif
}

void GemmPacked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  PackedB packed;
  PackB(tb, K, N, B, ldb, &packed);
  const int64_t ars = ta ? 1 : lda, aks = ta ? lda : 1;
  const int64_t tile_rows = packed.width == kPanel512 ? kRows512 : kRows;
  const int nt = PackedGemmThreads(M, static_cast<double>(M) * N * K, tile_rows);
  if (nt <= 1) return GemmPackedRows(0, M, alpha, A, ars, aks, packed, beta, nullptr, C, ldc);
  // Blocks of a multiple of the tile's rows, as even as that allows.
  const int64_t step = ((M + nt - 1) / nt + tile_rows - 1) / tile_rows * tile_rows;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
  for (int t = 0; t < nt; ++t) {
    const int64_t b0 = std::min(M, t * step), b1 = std::min(M, b0 + step);
    if (b0 < b1) GemmPackedRows(b0, b1, alpha, A, ars, aks, packed, beta, nullptr, C, ldc);
  }
}

}  // namespace op
}  // namespace mxc
