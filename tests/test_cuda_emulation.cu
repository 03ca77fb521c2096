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
#include "device.h"
#include "gpu_device.h"
#include "emu/cublas_v2.h"
#include "emu/cudnn.h"
#include "gpu_ops.h"
#include "mxc.h"
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

// The emulated atomics take the types nvcc's take (nvcc 13 for sm_90, checked), so that an atomic on another type
// (int64_t is long; 8-bit types) fails to compile here as it does with nvcc.
TEST(CudaEmulationAtomics, TakeOnlyTheTypesNvccTakes) {
  using mxc::emu::AtomicAddOk;
  using mxc::emu::AtomicMinMaxOk;
  static_assert(AtomicAddOk<int>::value && AtomicAddOk<unsigned>::value && AtomicAddOk<unsigned long long>::value &&
                    AtomicAddOk<float>::value && AtomicAddOk<double>::value && AtomicAddOk<__half>::value,
                "atomicAdd types");
  static_assert(!AtomicAddOk<long long>::value && !AtomicAddOk<int64_t>::value && !AtomicAddOk<uint64_t>::value &&
                    !AtomicAddOk<uint8_t>::value && !AtomicAddOk<int8_t>::value && !AtomicAddOk<short>::value,
                "types without atomicAdd");
  static_assert(AtomicMinMaxOk<int>::value && AtomicMinMaxOk<long long>::value &&
                    AtomicMinMaxOk<unsigned long long>::value && !AtomicMinMaxOk<float>::value &&
                    !AtomicMinMaxOk<double>::value && !AtomicMinMaxOk<int64_t>::value,
                "atomicMax/atomicMin types");
  unsigned long long c = 5;
  EXPECT_EQ(atomicAdd(&c, 2ull), 5ull);
  EXPECT_EQ(c, 7ull);
}

TEST_F(CudaEmulation, BuiltInGemmKernelMatchesAHostProduct) {
  CheckBuiltInGemm<float>(s, mxc::cuda::kF32);
  CheckBuiltInGemm<double>(s, mxc::cuda::kF64);
}

// More rows than 65535 tiles of 16 (grid.y's limit): the row tiles stride over a capped grid.
TEST_F(CudaEmulation, BuiltInGemmKernelTakesMoreRowsThanGridYAllows) {
  const int64_t M = 65535 * 16 + 40, N = 2, K = 1;
  std::vector<float> A(M), B = {2.0f, -1.0f}, C(M * N, NAN);
  for (int64_t m = 0; m < M; ++m) A[m] = float(m % 1000);
  float *dA, *dB, *dC;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dA), A.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dB), B.size() * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&dC), C.size() * sizeof(float)), cudaSuccess);
  cudaMemcpy(dA, A.data(), A.size() * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B.data(), B.size() * sizeof(float), cudaMemcpyHostToDevice);
  mxc::cuda::Gemm(mxc::cuda::kF32, false, false, M, N, K, 1.0, dA, K, dB, N, 0.0, dC, N, s);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  std::vector<float> got(C.size());
  ASSERT_EQ(cudaMemcpyAsync(got.data(), dC, got.size() * sizeof(float), cudaMemcpyDeviceToHost, s), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  for (int64_t m = 0; m < M; ++m) {
    ASSERT_EQ(got[m * N], 2.0f * A[m]) << m;
    ASSERT_EQ(got[m * N + 1], -A[m]) << m;
  }
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}

// Multi-GPU rules the emulator enforces as CUDA does (ctest runs these with MXC_CUDA_EMU_GPUS=2): a kernel launch on
// a stream of another device than the thread's current one fails, an event records only on a stream of its own
// device, and a cuBLAS handle works with its own device current.
TEST(CudaEmulationDevices, WorkGoesOnlyToTheCurrentDevicesStreams) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  if (count < 2) GTEST_SKIP() << "needs MXC_CUDA_EMU_GPUS=2 (the ctest test_cuda_emulation_two_gpus)";
  cudaStream_t s1 = nullptr;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreateWithFlags(&e1, cudaEventDisableTiming), cudaSuccess);
  float *d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&d), 32 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(d, 0, 32 * sizeof(float), s1), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaEventCreateWithFlags(&e0, cudaEventDisableTiming), cudaSuccess);
  cudaGetLastError();
  MXC_LAUNCH(1, 32, 0, s1, AddOneK)(d, 32);  // gpu(0) current, stream of gpu(1)
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidResourceHandle);
  EXPECT_EQ(cudaEventRecord(e0, s1), cudaErrorInvalidResourceHandle);
  cudaGetLastError();
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  MXC_LAUNCH(1, 32, 0, s1, AddOneK)(d, 32);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(cudaEventRecord(e1, s1), cudaSuccess);
  EXPECT_EQ(cudaEventSynchronize(e1), cudaSuccess);
  std::vector<float> h(32);
  ASSERT_EQ(cudaMemcpyAsync(h.data(), d, 32 * sizeof(float), cudaMemcpyDeviceToHost, s1), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s1), cudaSuccess);
  for (float v : h) EXPECT_EQ(v, 1.f);  // only the launch with gpu(1) current ran
  // cuBLAS: a handle of gpu(1) fails while gpu(0) is current.
  cublasHandle_t h1 = nullptr;
  ASSERT_EQ(cublasCreate(&h1), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSetStream(h1, s1), CUBLAS_STATUS_SUCCESS);
  const float one = 1.f, zero = 0.f;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  EXPECT_EQ(cublasSgemm(h1, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 2, &one, d, 4, d + 8, 2, &zero, d + 16, 4),
            CUBLAS_STATUS_EXECUTION_FAILED);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  EXPECT_EQ(cublasSgemm(h1, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 2, &one, d, 4, d + 8, 2, &zero, d + 16, 4),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cudaStreamSynchronize(s1), cudaSuccess);
  cublasDestroy(h1);
  cudaFree(d);
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

// The framework's GEMM on gpu(1) from a thread whose current device is gpu(0) (an engine worker that last ran
// gpu(0) work, then FullyConnected's backward on gpu(1), whose first GPU call is this GEMM): it makes its device
// current itself, and the product is right.
TEST(CudaEmulationDevices, GemmMakesItsDeviceCurrent) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  if (count < 2) GTEST_SKIP() << "needs MXC_CUDA_EMU_GPUS=2 (the ctest test_cuda_emulation_two_gpus)";
  const mxc::Device g1{MXC_GPU, 1};
  const int M = 3, N = 4, K = 5;
  std::vector<float> a(M * K), b(K * N), want(M * N, 0.f), got(M * N);
  for (int i = 0; i < M * K; ++i) a[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  for (int i = 0; i < K * N; ++i) b[i] = 0.5f * static_cast<float>(i % 5) - 1.f;
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k) want[m * N + n] += a[m * K + k] * b[k * N + n];
  mxc::NDArray A(mxc::TShape{M, K}, mxc::kFloat32, g1), B(mxc::TShape{K, N}, mxc::kFloat32, g1),
      C(mxc::TShape{M, N}, mxc::kFloat32, g1);
  A.SyncCopyFromCPU(a.data(), M * K);
  B.SyncCopyFromCPU(b.data(), K * N);
  mxc::OpContext ctx;
  ctx.dev = g1;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  mxc::gpu::Gemm(ctx, mxc::kFloat32, false, false, M, N, K, 1.0, A.blob().dptr, K, B.blob().dptr, N, 0.0,
                 C.blob().dptr, N);
  mxc::DeviceWait(g1);
  C.SyncCopyToCPU(got.data(), M * N);
  for (int i = 0; i < M * N; ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << i;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

// A DLPack consumer on the GPU (PyTorch, CuPy) releases an exported tensor possibly with its own kernels on the memory
// still queued on its own stream: the release waits for the device before the memory can go back to mxc's cache.
TEST(CudaEmulationDLPack, ReleasingAnExportedGpuTensorWaitsForTheConsumersStream) {
  const int64_t shape[1] = {16};
  MXCNDArrayHandle h = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT32, MXC_GPU, 0, 0, &h), 0);
  MXCDLManagedTensor *t = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(h, 1, &t), 0);
  ASSERT_EQ(MXCNDArrayFree(h), 0);  // the tensor holds the array now
  cudaStream_t consumer = nullptr;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&consumer, cudaStreamNonBlocking), cudaSuccess);
  g_release = false;
  ASSERT_EQ(cudaLaunchHostFunc(consumer, HoldStream, nullptr), cudaSuccess);  // the consumer's pending work
  auto release = std::async(std::launch::async, [t] { t->deleter(t); });
  EXPECT_EQ(release.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  g_release = true;
  EXPECT_EQ(release.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  release.wait();
  EXPECT_EQ(cudaStreamSynchronize(consumer), cudaSuccess);
}

// A GEMM with an empty inner dimension (K = 0, the row-major leading dimension of A 0) is C = beta C, as on the CPU;
// cuBLAS rejects a leading dimension under 1 (the emulated cuBLAS checks it as cuBLAS does).
TEST(CudaEmulationGemm, AnEmptyInnerDimensionScalesC) {
  const mxc::Device g0{MXC_GPU, 0};
  const int M = 3, N = 2;
  std::vector<float> c0 = {1, 2, 3, 4, 5, 6}, got(M * N);
  mxc::NDArray A(mxc::TShape{M, 0}, mxc::kFloat32, g0), B(mxc::TShape{0, N}, mxc::kFloat32, g0),
      C(mxc::TShape{M, N}, mxc::kFloat32, g0);
  C.SyncCopyFromCPU(c0.data(), M * N);
  mxc::OpContext ctx;
  ctx.dev = g0;
  for (bool ta : {false, true}) {
    C.SyncCopyFromCPU(c0.data(), M * N);
    // A is (M x 0) stored row-major (lda 0), or transposed (0 x M, lda M); B is (0 x N) with ldb N.
    mxc::gpu::Gemm(ctx, mxc::kFloat32, ta, false, M, N, 0, 1.0, A.blob().dptr, ta ? M : 0, B.blob().dptr, N, 0.5,
                   C.blob().dptr, N);
    mxc::DeviceWait(g0);
    C.SyncCopyToCPU(got.data(), M * N);
    for (int i = 0; i < M * N; ++i) EXPECT_EQ(got[i], 0.5f * c0[i]) << "ta " << ta << " at " << i;
  }
  // B (K x N) with no columns is not a case (N = 0: nothing to compute); B transposed (N x 0, ldb 0) is.
  C.SyncCopyFromCPU(c0.data(), M * N);
  mxc::gpu::Gemm(ctx, mxc::kFloat32, false, true, M, N, 0, 1.0, A.blob().dptr, 0, B.blob().dptr, 0, 0.0,
                 C.blob().dptr, N);
  mxc::DeviceWait(g0);
  C.SyncCopyToCPU(got.data(), M * N);
  for (int i = 0; i < M * N; ++i) EXPECT_EQ(got[i], 0.f) << i;
}

// FullyConnected and Convolution with no input features / channels (their GEMMs have K = 0): the bias, as on the CPU.
TEST(CudaEmulationGemm, OperatorsWithAnEmptyInnerDimensionGiveTheBias) {
  for (const mxc::Device dev : {mxc::Device::CPU(), mxc::Device{MXC_GPU, 0}}) {
    SCOPED_TRACE(mxc::DeviceStr(dev));
    const mxc::Op *fc = mxc::OpRegistry::Get()->FindOrThrow("FullyConnected");
    const mxc::Op *conv = mxc::OpRegistry::Get()->FindOrThrow("Convolution");
    std::vector<float> bias = {0.5f, -2.f, 3.f};
    mxc::NDArray b(mxc::TShape{3}, mxc::kFloat32, dev);
    b.SyncCopyFromCPU(bias.data(), 3);
    std::vector<mxc::NDArray> out;
    mxc::Invoke(fc, mxc::OpParams(fc, {{"num_hidden", "3"}}),
                {mxc::NDArray(mxc::TShape{2, 0}, mxc::kFloat32, dev), mxc::NDArray(mxc::TShape{3, 0}, mxc::kFloat32, dev), b},
                &out);
    std::vector<float> got(6);
    out[0].SyncCopyToCPU(got.data(), 6);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i], bias[i % 3]) << "FullyConnected " << i;
    out.clear();
    mxc::Invoke(conv, mxc::OpParams(conv, {{"kernel", "(2,2)"}, {"num_filter", "3"}}),
                {mxc::NDArray(mxc::TShape{1, 0, 3, 3}, mxc::kFloat32, dev),
                 mxc::NDArray(mxc::TShape{3, 0, 2, 2}, mxc::kFloat32, dev), b},
                &out);
    std::vector<float> y(12);
    out[0].SyncCopyToCPU(y.data(), 12);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(y[i], bias[i / 4]) << "Convolution " << i;
  }
}

// Copies and waits from a user's thread leave its current device as it was (another CUDA library may share the
// thread): reading a gpu(1) array with gpu(0) current.
TEST(CudaEmulationDevices, HostCopiesAndWaitsKeepTheThreadsCurrentDevice) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  if (count < 2) GTEST_SKIP() << "needs MXC_CUDA_EMU_GPUS=2 (the ctest test_cuda_emulation_two_gpus)";
  const mxc::Device g1{MXC_GPU, 1};
  std::vector<float> h(8, 2.5f), got(8);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  mxc::NDArray a(mxc::TShape{8}, mxc::kFloat32, g1);
  int cur = -1;
  ASSERT_EQ(cudaGetDevice(&cur), cudaSuccess);
  EXPECT_EQ(cur, 0) << "allocation";
  a.SyncCopyFromCPU(h.data(), 8);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);  // the copy may have run here, as engine work on gpu(1)
  a.WaitToRead();
  a.WaitToWrite();
  a.SyncCopyToCPU(got.data(), 8);
  mxc::DeviceWaitAll();
  mxc::DeviceSynchronize(g1);
  ASSERT_EQ(cudaGetDevice(&cur), cudaSuccess);
  EXPECT_EQ(cur, 0);
  for (float v : got) EXPECT_EQ(v, 2.5f);
}

// The emulated cuDNN's work fails, as cuBLAS's does, when the handle's stream is not the current device's.
TEST(CudaEmulationDevices, CudnnWorkNeedsItsDeviceCurrent) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  if (count < 2) GTEST_SKIP() << "needs MXC_CUDA_EMU_GPUS=2 (the ctest test_cuda_emulation_two_gpus)";
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  cudaStream_t s1 = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking), cudaSuccess);
  cudnnHandle_t h = nullptr;
  ASSERT_EQ(cudnnCreate(&h), CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnSetStream(h, s1), CUDNN_STATUS_SUCCESS);
  cudnnTensorDescriptor_t d = nullptr;
  ASSERT_EQ(cudnnCreateTensorDescriptor(&d), CUDNN_STATUS_SUCCESS);
  const int dims[4] = {1, 2, 1, 1}, strides[4] = {2, 1, 1, 1};
  ASSERT_EQ(cudnnSetTensorNdDescriptor(d, CUDNN_DATA_FLOAT, 4, dims, strides), CUDNN_STATUS_SUCCESS);
  float *x = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void **>(&x), 4 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(x, 0, 4 * sizeof(float), s1), cudaSuccess);
  const float one = 1.f;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudnnAddTensor(h, &one, d, x, &one, d, x + 2), CUDNN_STATUS_SUCCESS);  // queued: fails on the stream
  EXPECT_EQ(cudaStreamSynchronize(s1), cudaErrorLaunchFailure);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudnnAddTensor(h, &one, d, x, &one, d, x + 2), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudaStreamSynchronize(s1), cudaSuccess);
  cudnnDestroyTensorDescriptor(d);
  cudnnDestroy(h);
  cudaFree(x);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

}  // namespace
