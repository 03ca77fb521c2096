// GEMM behind `dot`: float32 N x N matrix products through the C API (MXCOpInvoke of "dot" into a preallocated
// output, waiting for the result) against cblas_sgemm called directly on the same memory, interleaved call by call
// (alternating which goes first) so that both see the same machine load. Prints the median GFLOP/s of each and their ratio.
//
//   bench_gemm [sizes...]     (default 256 512 1024 2048)
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "mxc.h"

namespace {

void Check(int rc, const char *what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: %s\n", what, MXCGetLastError());
    std::exit(1);
  }
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

MXCNDArrayHandle Matrix(int64_t n, std::mt19937 *g) {
  int64_t shape[2] = {n, n};
  MXCNDArrayHandle h;
  Check(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &h), "MXCNDArrayCreate");
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n * n);
  for (auto &x : v) x = u(*g);
  Check(MXCNDArraySyncCopyFromCPU(h, v.data(), n * n), "MXCNDArraySyncCopyFromCPU");
  return h;
}

float *Data(MXCNDArrayHandle h) {
  void *p;
  Check(MXCNDArrayWaitToWrite(h), "MXCNDArrayWaitToWrite");
  Check(MXCNDArrayGetData(h, &p), "MXCNDArrayGetData");
  return static_cast<float *>(p);
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {256, 512, 1024, 2048};
  const int blas_threads = openblas_get_num_threads();  // OpenBLAS's default, before mxc's first product
  MXCOpHandle dot;
  Check(MXCOpGetHandle("dot", &dot), "MXCOpGetHandle(dot)");
  std::mt19937 g(42);

  std::printf("dot (float32, N x N . N x N) through MXCOpInvoke vs cblas_sgemm, interleaved; median of R calls\n");
  std::printf("(ratio: mxc/BLAS of the median GFLOP/s; pair ratio: median over back-to-back pairs)\n");
  std::printf("%6s %4s %14s %14s %8s %11s %10s\n", "N", "R", "mxc GFLOP/s", "BLAS GFLOP/s", "ratio", "pair ratio",
              "max |diff|");
  for (int64_t n : sizes) {
    MXCNDArrayHandle a = Matrix(n, &g), b = Matrix(n, &g), c = Matrix(n, &g), d = Matrix(n, &g);
    const float *pa = Data(a), *pb = Data(b);
    float *pd = Data(d);
    const double flop = 2.0 * n * n * n;
    // About half a second of work per side, at least 5 and at most 51 calls.
    const int reps = static_cast<int>(std::max<int64_t>(5, std::min<int64_t>(51, 2.5e10 / flop)));
    std::vector<double> t_mxc, t_blas;
    MXCNDArrayHandle ins[2] = {a, b};
    MXCNDArrayHandle *outs = &c;
    auto run_mxc = [&] {
      double t0 = Now();
      int nout = 1;
      Check(MXCOpInvoke(dot, 2, ins, &nout, &outs, 0, nullptr, nullptr), "MXCOpInvoke(dot)");
      Check(MXCNDArrayWaitToRead(c), "MXCNDArrayWaitToRead");
      return Now() - t0;
    };
    // Direct OpenBLAS with its own threads, as a program calling it would have them (with MXC_GEMM_SPLIT=1 mxc runs it
    // single-threaded and splits products over its OpenMP pool: restore that setting after each direct call).
    auto run_blas = [&] {
      const int mxc_threads = openblas_get_num_threads();
      openblas_set_num_threads(blas_threads);
      double t0 = Now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, pa, n, pb, n, 0.f, pd, n);
      double t = Now() - t0;
      openblas_set_num_threads(mxc_threads);
      return t;
    };
    for (int r = -2; r < reps; ++r) {  // two warm-up rounds; the order alternates so neither side is always first
      double tm, tb;
      if (r % 2 == 0) {
        tm = run_mxc();
        tb = run_blas();
      } else {
        tb = run_blas();
        tm = run_mxc();
      }
      if (r >= 0) {
        t_mxc.push_back(tm);
        t_blas.push_back(tb);
      }
    }
    // Both computed the same product.
    const float *pc = Data(c);
    double maxdiff = 0;
    for (int64_t i = 0; i < n * n; ++i) maxdiff = std::max(maxdiff, static_cast<double>(std::fabs(pc[i] - pd[i])));
    double g_mxc = flop / Median(t_mxc) / 1e9, g_blas = flop / Median(t_blas) / 1e9;
    // The median over pairs of BLAS time / mxc time: each pair ran back to back, under the same load.
    std::vector<double> pair;
    for (size_t i = 0; i < t_mxc.size(); ++i) pair.push_back(t_blas[i] / t_mxc[i]);
    std::printf("%6lld %4d %14.1f %14.1f %8.3f %11.3f %10.2g\n", static_cast<long long>(n), reps, g_mxc, g_blas,
                g_mxc / g_blas, Median(pair), maxdiff);
    std::fflush(stdout);
    for (auto h : {a, b, c, d}) MXCNDArrayFree(h);
  }
  return 0;
}
