// op::Gemm, white-box: every transpose combination, row and column splits across OpenMP threads (products large
// enough to be partitioned, with sizes that are not multiples of the blocks), strided operands, beta and alpha,
// float32 and float64, against a naive triple loop in long double; and matching results with 1 and several threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ops/gemm.h"

namespace {

template <typename T>
struct Case {
  int64_t M, N, K, lda, ldb, ldc;
  bool ta, tb;
  std::vector<T> A, B, C;
};

template <typename T>
Case<T> Make(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t pad, unsigned seed) {
  Case<T> c{M, N, K, (ta ? M : K) + pad, (tb ? K : N) + pad, N + pad, ta, tb, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  c.A.resize(static_cast<size_t>((ta ? K : M) * c.lda));
  c.B.resize(static_cast<size_t>((tb ? N : K) * c.ldb));
  c.C.resize(static_cast<size_t>(M * c.ldc));
  for (auto &x : c.A) x = static_cast<T>(u(rng));
  for (auto &x : c.B) x = static_cast<T>(u(rng));
  for (auto &x : c.C) x = static_cast<T>(u(rng));
  return c;
}

template <typename T>
std::vector<long double> Reference(const Case<T> &c, T alpha, T beta) {
  std::vector<long double> out(c.C.begin(), c.C.end());
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      long double s = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        long double a = c.ta ? c.A[k * c.lda + i] : c.A[i * c.lda + k];
        long double b = c.tb ? c.B[j * c.ldb + k] : c.B[k * c.ldb + j];
        s += a * b;
      }
      long double &o = out[i * c.ldc + j];
      o = alpha * s + (beta == T(0) ? 0.0L : beta * o);
    }
  return out;
}

template <typename T>
void Check(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, T beta, double tol) {
  auto c = Make<T>(ta, tb, M, N, K, 3, static_cast<unsigned>(M * 131 + N * 7 + K + ta * 2 + tb));
  auto want = Reference(c, alpha, beta);
  const std::vector<T> before = c.C;
  mxc::op::Gemm(ta, tb, M, N, K, alpha, c.A.data(), c.lda, c.B.data(), c.ldb, beta, c.C.data(), c.ldc);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < c.ldc; ++j) {
      const size_t at = static_cast<size_t>(i * c.ldc + j);
      if (j >= N) {  // padding between rows is never touched
        ASSERT_EQ(c.C[at], before[at]) << "padding written at " << i << "," << j;
        continue;
      }
      ASSERT_NEAR(static_cast<double>(c.C[at]), static_cast<double>(want[at]), tol * std::sqrt(double(K)))
          << "ta=" << ta << " tb=" << tb << " M=" << M << " N=" << N << " K=" << K << " at " << i << "," << j;
    }
}

TEST(Gemm, AllTransposesSplitByRowsAndColumns) {
  // (M, N, K): tall (split rows), wide (split columns), odd sizes, and a small one that runs single-threaded.
  const int64_t shapes[][3] = {{301, 37, 97}, {33, 517, 129}, {128, 128, 784}, {250, 250, 61}, {5, 7, 3}};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto &s : shapes) {
        Check<float>(ta, tb, s[0], s[1], s[2], 1.0f, 0.0f, 2e-6);
        Check<float>(ta, tb, s[0], s[1], s[2], 0.5f, 1.0f, 2e-6);
        Check<double>(ta, tb, s[0], s[1], s[2], -2.0, 0.25, 1e-13);
      }
}

// Every product here goes through the OpenMP split of OpenBLAS calls (MXC_GEMM_SPLIT, read at the first product).
static const int kSplitOn = setenv("MXC_GEMM_SPLIT", "1", 1);

TEST(Gemm, SameResultWithOneAndManyThreads) {
#ifdef _OPENMP
  auto c = Make<float>(false, true, 256, 300, 200, 0, 5);
  auto one = c.C, many = c.C;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  mxc::op::Gemm(false, true, 256, 300, 200, 1.0f, c.A.data(), c.lda, c.B.data(), c.ldb, 0.0f, one.data(), c.ldc);
  omp_set_num_threads(4);
  mxc::op::Gemm(false, true, 256, 300, 200, 1.0f, c.A.data(), c.lda, c.B.data(), c.ldb, 0.0f, many.data(), c.ldc);
  omp_set_num_threads(saved);
  // The same products up to rounding (the kernels' edge tiles may order the sums differently).
  ASSERT_EQ(one.size(), many.size());
  for (size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(one[i], many[i], 1e-5 * (1 + std::fabs(one[i]))) << i;
#else
  GTEST_SKIP() << "built without OpenMP";
#endif
}

}  // namespace
