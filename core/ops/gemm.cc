#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#ifdef MXC_USE_BLAS
#include <cblas.h>
#elif defined(__wasm_simd128__)
#include "gemm_wasm_simd.h"
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace mxc {
namespace op {

namespace {
template <typename T>
void GemmFallback(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
                  int64_t ldb, T beta, T *C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T *c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : c[j] * beta;
    for (int64_t k = 0; k < K; ++k) {
      T a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (a == T(0)) continue;
      if (!tb) {
        const T *b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      }
    }
  }
}
}  // namespace

#ifdef MXC_USE_BLAS
namespace {
// By default OpenBLAS runs products with its own thread pool: on this 2-core machine a 1024x1024 product runs at
// about twice the speed of the alternative below (measured with benchmarks/bench_gemm: 0.52x of direct OpenBLAS),
// because concurrent single-threaded calls into Debian's pthreads OpenBLAS do not scale.
// MXC_GEMM_SPLIT=1 instead calls OpenBLAS single-threaded and splits products over the OpenMP pool (one pool, with
// passive waiting and the engine's per-worker thread budget; idle OpenBLAS threads then no longer spin beside the
// engine's workers, which helps small products on a loaded machine). An OpenMP build of OpenBLAS is left alone.
bool SplitGemmWithOpenMP() {
  static bool split = [] {
#ifdef _OPENMP
    const char *env = std::getenv("MXC_GEMM_SPLIT");
    if (!env || std::atoi(env) <= 0) return false;
    if (openblas_get_parallel() != 1) return false;  // 0: sequential build, 2: OpenMP build
    openblas_set_num_threads(1);
    return true;
#else
    return false;
#endif
  }();
  return split;
}

// Threads for an M x N x K product: one per ~2 MFLOP-equivalents of work, at most the OpenMP budget of this thread.
int GemmThreads(int64_t M, int64_t N, int64_t K) {
#ifdef _OPENMP
  if (!SplitGemmWithOpenMP() || omp_in_parallel()) return 1;
  const double work = static_cast<double>(M) * N * K;
  const int by_work = static_cast<int>(std::min<double>(work / (1 << 20), 1 << 16));
  const int by_shape = static_cast<int>(std::max<int64_t>(M, N) / 16);
  return std::max(1, std::min({omp_get_max_threads(), by_work, by_shape}));
#else
  (void)M, (void)N, (void)K;
  return 1;
#endif
}

void BlasGemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
              ldb, beta, C, ldc);
}
void BlasGemm(bool ta, bool tb, int M, int N, int K, double alpha, const double *A, int lda, const double *B, int ldb,
              double beta, double *C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
              ldb, beta, C, ldc);
}

// C = alpha op(A) op(B) + beta C with the rows (or, when N > M, the columns) of C split into one block per thread;
// each block is an independent single-threaded product.
template <typename T>
void ParallelBlasGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda,
                      const T *B, int64_t ldb, T beta, T *C, int64_t ldc) {
  const int nt = GemmThreads(M, N, K);
  if (nt <= 1) {
    BlasGemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const bool rows = M >= N;
  const int64_t len = rows ? M : N;
  // Blocks of a multiple of 16 rows/columns (the kernels' register tiles), as even as that allows.
  const int64_t step = ((len + nt - 1) / nt + 15) / 16 * 16;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
  for (int t = 0; t < nt; ++t) {
    const int64_t b0 = std::min(len, t * step), b1 = std::min(len, b0 + step);
    if (b0 >= b1) continue;
    if (rows) {
      BlasGemm(ta, tb, b1 - b0, N, K, alpha, ta ? A + b0 : A + b0 * lda, lda, B, ldb, beta, C + b0 * ldc, ldc);
    } else {
      BlasGemm(ta, tb, M, b1 - b0, K, alpha, A, lda, tb ? B + b0 * ldb : B + b0, ldb, beta, C + b0, ldc);
    }
  }
}
}  // namespace
#endif

void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
          const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
#ifdef MXC_USE_BLAS
  ParallelBlasGemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
#if defined(__wasm_simd128__)
  if (!ta && tb) return wasm_simd::GemmNT(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
  GemmFallback(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
          const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
#ifdef MXC_USE_BLAS
  ParallelBlasGemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
  GemmFallback(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

}  // namespace op
}  // namespace mxc
