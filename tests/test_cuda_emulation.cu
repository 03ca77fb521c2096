// The CUDA emulation itself (built with MXC_CUDA_EMULATION=ON, compiled like cuda/*.cu): CUDA's execution model
// for kernels (coordinates, block barriers and shared memory), stream order, and the checks it adds (host access to
// device memory, accesses past an allocation's end, __syncthreads() misuse).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "common.cuh"
#include "kernels.cuh"
#include "engine.h"
#include "gpu_device.h"
#include "ndarray.h"
#include "op_harness.h"

namespace {

using mxc::cuda::kThreads;

// Every (block, thread) runs once with its coordinates.
__global__ void CoordsK(int *out) {
  int b = blockIdx.y * gridDim.x + blockIdx.x;
  int t = threadIdx.y * blockDim.x + threadIdx.x;
  out[b * blockDim.x * blockDim.y + t] = b * 1000 + t;
}

// A block reduction through shared memory and barriers (threads read what other threads wrote).
__global__ void BlockSumK(const float *x, float *out, int n) {
  __shared__ float red[kThreads];
  float acc = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) acc += x[blockIdx.x * n + i];
  red[threadIdx.x] = acc;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = red[0];
}

// A barrier that only some threads reach (undefined on a GPU: a hang or garbage).
__global__ void DivergentBarrierK(float *x) {
  if (threadIdx.x < 16) __syncthreads();
  x[threadIdx.x] = 1;
}

// Adds to its shared slot before any thread of the block wrote it (garbage on a GPU), and writes what the block's
// first thread left in a shared counter (an earlier block's value on a GPU, if any).
__global__ void SharedReadFirstK(float *out, int *counter) {
  __shared__ float acc[kThreads];
  __shared__ int count;
  acc[threadIdx.x] += 1.f;
  if (threadIdx.x == 0) counter[blockIdx.x] = count++;
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = acc[threadIdx.x];
}

__global__ void AddOneK(float *x, int64_t n) {
  MXC_CUDA_LOOP(i, n) x[i] += 1;
}

__global__ void WriteK(float *x, int64_t at) { x[at] = 1; }

class CudaEmulation : public ::testing::Test {
 protected:
  cudaStream_t s = nullptr;
  void SetUp() override { ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess); }
  template <typename T>
  T *Dev(size_t n) {
    void *p = nullptr;
    EXPECT_EQ(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
    return static_cast<T *>(p);
  }
  template <typename T>
  std::vector<T> Get(const T *d, size_t n) {
    std::vector<T> h(n);
    EXPECT_EQ(cudaMemcpyAsync(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost, s), cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    return h;
  }
};

TEST_F(CudaEmulation, EveryThreadOfEveryBlockRunsWithItsCoordinates) {
  dim3 grid(3, 2), block(4, 5);
  int *d = Dev<int>(6 * 20);
  MXC_LAUNCH(grid, block, 0, s, CoordsK)(d);
  std::vector<int> h = Get(d, 6 * 20);
  for (int b = 0; b < 6; ++b)
    for (int t = 0; t < 20; ++t) EXPECT_EQ(h[b * 20 + t], b * 1000 + t);
  cudaFree(d);
}

TEST_F(CudaEmulation, BarriersAndSharedMemoryWithinABlock) {
  const int blocks = 3, n = 1000;
  std::vector<float> x(blocks * n);
  std::iota(x.begin(), x.end(), 0.f);
  float *dx = Dev<float>(x.size()), *dout = Dev<float>(blocks);
  ASSERT_EQ(cudaMemcpyAsync(dx, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice, s), cudaSuccess);
  MXC_LAUNCH_BLOCK(blocks, kThreads, 0, s, BlockSumK)(dx, dout, n);
  std::vector<float> out = Get(dout, blocks);
  for (int b = 0; b < blocks; ++b) {
    double want = 0;
    for (int i = 0; i < n; ++i) want += x[b * n + i];
    EXPECT_FLOAT_EQ(out[b], static_cast<float>(want)) << "block " << b;
  }
  cudaFree(dx);
  cudaFree(dout);
}

// Shared memory holds garbage when a block starts: 0xFF bytes here (float NaN, integer -1), in every block.
TEST_F(CudaEmulation, SharedMemoryHoldsGarbageWhenABlockStarts) {
  const int blocks = 3;
  float *d = Dev<float>(blocks * kThreads);
  int *c = Dev<int>(blocks);
  for (int launch = 0; launch < 2; ++launch) {
    MXC_LAUNCH_BLOCK(blocks, kThreads, 0, s, SharedReadFirstK)(d, c);
    const std::vector<float> out = Get(d, blocks * kThreads);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_TRUE(std::isnan(out[i])) << "element " << i << ": " << out[i];
    EXPECT_EQ(Get(c, blocks), std::vector<int>(blocks, -1)) << "launch " << launch;
  }
  // Kernels that write their shared memory first are unaffected (also after the one above).
  const int n = 300;
  std::vector<float> x(n, 2.f);
  float *dx = Dev<float>(n), *dout = Dev<float>(1);
  ASSERT_EQ(cudaMemcpyAsync(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice, s), cudaSuccess);
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, BlockSumK)(dx, dout, n);
  EXPECT_EQ(Get(dout, 1), std::vector<float>{600.f});
  cudaFree(d);
  cudaFree(c);
  cudaFree(dx);
  cudaFree(dout);
}

TEST_F(CudaEmulation, BarrierMisuseIsALaunchFailure) {
  float *d = Dev<float>(kThreads);
  // __syncthreads() in a kernel launched without MXC_LAUNCH_BLOCK.
  MXC_LAUNCH(1, kThreads, 0, s, BlockSumK)(d, d, 1);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorLaunchFailure);
  // A barrier not every thread reaches.
  MXC_LAUNCH_BLOCK(1, 32, 0, s, DivergentBarrierK)(d);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorLaunchFailure);
  // The stream works again afterwards.
  MXC_LAUNCH(1, 32, 0, s, AddOneK)(d, 32);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  cudaFree(d);
}

TEST_F(CudaEmulation, InvalidLaunchConfigurationIsReportedAtLaunch) {
  float *d = Dev<float>(1);
  cudaGetLastError();
  MXC_LAUNCH(1, 2048, 0, s, AddOneK)(d, 1);  // more than 1024 threads per block
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  cudaFree(d);
}

TEST_F(CudaEmulation, WorkOnAStreamRunsInOrderAfterTheHostReturns) {
  const int n = 10000;
  std::vector<float> h(n, 0.f);
  float *d = Dev<float>(n);
  ASSERT_EQ(cudaMemcpyAsync(d, h.data(), n * sizeof(float), cudaMemcpyHostToDevice, s), cudaSuccess);
  std::fill(h.begin(), h.end(), 5.f);  // a pageable source is read before cudaMemcpyAsync returns
  for (int k = 0; k < 20; ++k) MXC_LAUNCH(mxc::cuda::Blocks(n), kThreads, 0, s, AddOneK)(d, n);
  ASSERT_EQ(cudaMemsetAsync(d, 0, sizeof(float), s), cudaSuccess);
  std::vector<float> out = Get(d, n);
  EXPECT_EQ(out[0], 0.f);
  for (int i = 1; i < n; ++i) ASSERT_EQ(out[i], 20.f) << i;
  cudaFree(d);
}

// A host read of an array waits for the event its write recorded, not for the whole stream: with later work on the
// stream held back, the read still returns.
std::atomic<bool> g_release{false};
void HoldStream(void *) {
  while (!g_release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(CudaEmulationEvents, AReadWaitsForItsWriteNotTheWholeStream) {
  const mxc::Device gpu{MXC_GPU, 0};
  const mxc::Op *plus = mxc::OpRegistry::Get()->FindOrThrow("_plus_scalar");
  const mxc::Op *mul = mxc::OpRegistry::Get()->FindOrThrow("_mul_scalar");
  mxc::NDArray a(mxc::TShape{1000}, mxc::kFloat32, gpu);
  std::vector<float> host(1000, 3.f);
  a.SyncCopyFromCPU(host.data(), 1000);
  std::vector<mxc::NDArray> b, c;
  mxc::Invoke(plus, mxc::OpParams(plus, {{"scalar", "1"}}), {a}, &b);
  mxc::Engine::Get()->WaitToRead(b[0].var());  // b's kernel is queued and its event recorded
  g_release = false;
  ASSERT_EQ(cudaLaunchHostFunc(mxc::gpu::Stream(0), HoldStream, nullptr), cudaSuccess);
  mxc::Invoke(mul, mxc::OpParams(mul, {{"scalar", "2"}}), {b[0]}, &c);  // queued behind the held stream
  auto read_b = std::async(std::launch::async, [&] { b[0].WaitToRead(); });
  EXPECT_EQ(read_b.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  g_release = true;
  read_b.wait();
  std::vector<float> got(1000);
  c[0].SyncCopyToCPU(got.data(), 1000);
  for (float v : got) ASSERT_EQ(v, 8.f);
}

// Every var a piece of GPU work writes gets the end point of its kernels (an executor's backward writes one var per
// parameter gradient: many).
TEST(CudaEmulationEvents, EveryVarWrittenByGpuWorkGetsItsEndPoint) {
  const mxc::Device gpu{MXC_GPU, 0};
  for (const char *engine : {"NaiveEngine", "ThreadedEngine"}) {
    SCOPED_TRACE(engine);
    mxc::Engine::SetType(engine);
    std::vector<std::unique_ptr<mxc::Var>> vars;
    std::vector<mxc::Var *> writes;
    for (int i = 0; i < 200; ++i) {
      vars.emplace_back(new mxc::Var());
      writes.push_back(vars.back().get());
    }
    mxc::Engine::Get()->Push([](const mxc::RunContext &) {}, gpu, {}, writes, "many writes", -1);
    mxc::Engine::Get()->WaitAll();
    std::shared_ptr<void> first = std::atomic_load(&vars[0]->device_point);
    ASSERT_NE(first, nullptr);
    for (auto &v : vars) EXPECT_EQ(std::atomic_load(&v->device_point), first);
  }
  mxc::Engine::SetType("ThreadedEngine");
}

using CudaEmulationDeathTest = CudaEmulation;

TEST_F(CudaEmulationDeathTest, HostAccessToDeviceMemoryCrashesWithAMessage) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(
      {
        float *d = Dev<float>(16);
        volatile float *v = d;
        v[3] = 1.f;
      },
      "host code touched device memory");
}

TEST_F(CudaEmulationDeathTest, AKernelWritingPastAnAllocationCrashesWithAMessage) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(
      {
        float *d = Dev<float>(1024);
        MXC_LAUNCH(1, 1, 0, s, WriteK)(d, 1024 + 16);
        cudaStreamSynchronize(s);
      },
      "past the end of the 4096-byte device allocation");
}

// mxc's own tiled GEMM kernel, which a build without cuBLAS uses for every matrix product, against a host triple loop:
// every transpose combination, sizes that are not multiples of the tile, leading dimensions wider than the rows,
// beta 0 (the old C, NaN here, is not read) and beta 1.
template <typename T>
void CheckBuiltInGemm(cudaStream_t s, int dtype) {
  const int64_t M = 17, N = 33, K = 19, pad = 3;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (double beta : {0.0, 1.0}) {
        SCOPED_TRACE(testing::Message() << "ta " << ta << " tb " << tb << " beta " << beta);
        const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        const int64_t arows = ta ? K : M, brows = tb ? N : K;
        std::vector<T> A(arows * lda), B(brows * ldb), C(M * ldc);
        for (size_t i = 0; i < A.size(); ++i) A[i] = T((i * 37 % 23) / 11.0 - 1);
        for (size_t i = 0; i < B.size(); ++i) B[i] = T((i * 53 % 29) / 14.0 - 1);
        for (size_t i = 0; i < C.size(); ++i) C[i] = beta == 0 ? T(NAN) : T((i % 7) / 3.0);
        std::vector<T> want = C;
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k)
              acc += double(ta ? A[k * lda + m] : A[m * lda + k]) * double(tb ? B[n * ldb + k] : B[k * ldb + n]);
            want[m * ldc + n] = T(1.5 * acc + (beta == 0 ? 0.0 : beta * double(C[m * ldc + n])));
          }
        T *dA, *dB, *dC;
        ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dA), A.size() * sizeof(T)), cudaSuccess);
        ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dB), B.size() * sizeof(T)), cudaSuccess);
        ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dC), C.size() * sizeof(T)), cudaSuccess);
        cudaMemcpy(dA, A.data(), A.size() * sizeof(T), cudaMemcpyHostToDevice);
        cudaMemcpy(dB, B.data(), B.size() * sizeof(T), cudaMemcpyHostToDevice);
        cudaMemcpy(dC, C.data(), C.size() * sizeof(T), cudaMemcpyHostToDevice);
        mxc::cuda::Gemm(dtype, ta, tb, M, N, K, 1.5, dA, lda, dB, ldb, beta, dC, ldc, s);
        ASSERT_EQ(cudaGetLastError(), cudaSuccess);
        std::vector<T> got(C.size());
        ASSERT_EQ(cudaMemcpyAsync(got.data(), dC, got.size() * sizeof(T), cudaMemcpyDeviceToHost, s), cudaSuccess);
        ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < ldc; ++n) {
            if (n >= N) {  // the padding columns of C are not written
              if (beta == 0) ASSERT_TRUE(std::isnan(double(got[m * ldc + n]))) << m << "," << n;
              else ASSERT_EQ(got[m * ldc + n], C[m * ldc + n]) << m << "," << n;
              continue;
            }
            ASSERT_NEAR(double(got[m * ldc + n]), double(want[m * ldc + n]), 1e-4) << m << "," << n;
          }
        cudaFree(dA);
        cudaFree(dB);
        cudaFree(dC);
      }
}

TEST_F(CudaEmulation, BuiltInGemmKernelMatchesAHostProduct) {
  CheckBuiltInGemm<float>(s, mxc::cuda::kF32);
  CheckBuiltInGemm<double>(s, mxc::cuda::kF64);
}

}  // namespace
