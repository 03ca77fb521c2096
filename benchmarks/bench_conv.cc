// Convolution and FullyConnected forward through the C API (MXCOpInvoke, outputs given), in GFLOP/s, next to a
// direct OpenBLAS sgemm of the same GEMM size in the same run (Convolution: M = filters, N = batch * output pixels,
// K = channels * kernel area, so the difference is the cost of im2col and the output layout).
//
//   build/benchmarks/bench_conv [repetitions]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mxc.h"

#if __has_include(<cblas.h>)
#include <cblas.h>
#define BENCH_HAVE_CBLAS 1
#endif

namespace {

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != 0) {                                                         \
      std::fprintf(stderr, "%s failed: %s\n", #call, MXCGetLastError());       \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

MXCNDArrayHandle Make(const std::vector<int64_t> &shape) {
  MXCNDArrayHandle h;
  CHECK(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h));
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
  CHECK(MXCNDArraySyncCopyFromCPU(h, v.data(), n));
  return h;
}

template <typename F>
double Seconds(F f, int reps) {
  f();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

void Run(const char *name, const char *op_name, std::vector<std::vector<int64_t>> in_shapes,
         std::vector<int64_t> out_shape, std::vector<std::pair<std::string, std::string>> params, int64_t M,
         int64_t N, int64_t K, int reps) {
  MXCOpHandle op;
  CHECK(MXCOpGetHandle(op_name, &op));
  std::vector<MXCNDArrayHandle> ins;
  for (auto &s : in_shapes) ins.push_back(Make(s));
  MXCNDArrayHandle out = Make(out_shape);
  std::vector<const char *> keys, vals;
  for (auto &kv : params) {
    keys.push_back(kv.first.c_str());
    vals.push_back(kv.second.c_str());
  }
  double t = Seconds(
      [&] {
        int nout = 1;
        MXCNDArrayHandle *outs = &out;
        CHECK(MXCOpInvoke(op, static_cast<int>(ins.size()), ins.data(), &nout, &outs, static_cast<int>(keys.size()),
                          keys.data(), vals.data()));
        CHECK(MXCNDArrayWaitToRead(out));
      },
      reps);
  const double flops = 2.0 * M * N * K;
  std::printf("%-34s %9.3f ms %8.2f GFLOP/s", name, t * 1e3, flops / t / 1e9);
#ifdef BENCH_HAVE_CBLAS
  std::vector<float> a(M * K, 0.5f), b(K * N, 0.25f), c(M * N);
  double tb = Seconds(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f,
                    c.data(), N);
      },
      reps);
  std::printf("   sgemm %dx%dx%d: %9.3f ms %8.2f GFLOP/s", static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), tb * 1e3, flops / tb / 1e9);
#endif
  std::printf("\n");
  for (auto h : ins) MXCNDArrayFree(h);
  MXCNDArrayFree(out);
}

}  // namespace

int main(int argc, char **argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  // The main job's layers (batch 128): out = data * weight^T + bias.
  Run("FullyConnected 128x784 -> 128", "FullyConnected", {{128, 784}, {128, 784}, {128}}, {128, 128},
      {{"num_hidden", "128"}}, 128, 128, 784, reps * 20);
  Run("FullyConnected 128x128 -> 10", "FullyConnected", {{128, 128}, {10, 128}, {10}}, {128, 10},
      {{"num_hidden", "10"}}, 128, 10, 128, reps * 100);
  // LeNet-like convolutions, batch 64.
  Run("Conv 64x1x28x28 5x5 -> 20", "Convolution", {{64, 1, 28, 28}, {20, 1, 5, 5}, {20}}, {64, 20, 24, 24},
      {{"kernel", "(5,5)"}, {"num_filter", "20"}}, 20, 64 * 24 * 24, 25, reps);
  Run("Conv 64x20x12x12 5x5 -> 50", "Convolution", {{64, 20, 12, 12}, {50, 20, 5, 5}, {50}}, {64, 50, 8, 8},
      {{"kernel", "(5,5)"}, {"num_filter", "50"}}, 50, 64 * 8 * 8, 500, reps);
  // A ResNet-like 3x3 block, batch 32.
  Run("Conv 32x64x16x16 3x3 pad 1 -> 64", "Convolution", {{32, 64, 16, 16}, {64, 64, 3, 3}, {64}},
      {32, 64, 16, 16}, {{"kernel", "(3,3)"}, {"num_filter", "64"}, {"pad", "(1,1)"}}, 64, 32 * 256, 576, reps);
  Run("Conv 32x64x16x16 1x1 -> 128", "Convolution", {{32, 64, 16, 16}, {128, 64, 1, 1}, {128}},
      {32, 128, 16, 16}, {{"kernel", "(1,1)"}, {"num_filter", "128"}}, 128, 32 * 256, 64, reps);
  return 0;
}
