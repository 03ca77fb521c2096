// GPU device layer through the C API: device count, the DeviceError without a GPU, host<->device copies and the
// memory pool statistics. GPU parts skip (visibly) where there is no GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mxc.h"

namespace {

int NumGPUs() {
  int n = -1;
  EXPECT_EQ(MXCGetDeviceCount(MXC_GPU, &n), 0) << MXCGetLastError();
  return n;
}

TEST(CapiGpu, NoGpuIsAClearDeviceError) {
  if (NumGPUs() > 0) GTEST_SKIP() << "a GPU is present";
  int64_t shape[] = {2, 3};
  MXCNDArrayHandle h = nullptr;
  ASSERT_NE(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_GPU, 0, 0, &h), 0);
  std::string err = MXCGetLastError();
  EXPECT_EQ(err.rfind("DeviceError: gpu(0) is not available", 0), 0u) << err;
  int64_t a, b, c;
  ASSERT_NE(MXCGPUMemoryStats(0, &a, &b, &c), 0);
  EXPECT_EQ(std::string(MXCGetLastError()).rfind("DeviceError:", 0), 0u);
  ASSERT_NE(MXCGPUReleaseCache(0), 0);
  // CPU work still runs in this build.
  ASSERT_EQ(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0) << MXCGetLastError();
  std::vector<float> v = {1, 2, 3, 4, 5, 6}, r(6);
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), 6), 0);
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(h, r.data(), 6), 0);
  EXPECT_EQ(r, v);
  MXCNDArrayFree(h);
}

TEST(CapiGpu, CopiesAndMemoryPool) {
  if (NumGPUs() == 0) GTEST_SKIP() << "no GPU on this machine";
  const int64_t n = 1 << 20;  // 4 MiB: more than one staging chunk for float64 below
  int64_t shape[] = {n};
  MXCNDArrayHandle g = nullptr, g2 = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT64, MXC_GPU, 0, 0, &g), 0) << MXCGetLastError();
  int dt = 0, di = -1;
  ASSERT_EQ(MXCNDArrayGetDevice(g, &dt, &di), 0);
  EXPECT_EQ(dt, MXC_GPU);
  EXPECT_EQ(di, 0);
  std::vector<double> v(n), r(n, -1);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.5 * static_cast<double>(i) - 3;
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(g, v.data(), n), 0) << MXCGetLastError();
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(g, r.data(), n), 0) << MXCGetLastError();
  EXPECT_EQ(r, v);
  int64_t in_use = 0, cached = 0, peak = 0;
  ASSERT_EQ(MXCGPUMemoryStats(0, &in_use, &cached, &peak), 0) << MXCGetLastError();
  EXPECT_GE(in_use, n * 8);
  EXPECT_GE(peak, in_use);
  // A device-side copy through the registry's _copyto, then back to the host.
  ASSERT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT64, MXC_GPU, 0, 0, &g2), 0);
  MXCOpHandle op;
  ASSERT_EQ(MXCOpGetHandle("_copyto", &op), 0);
  int nout = 1;
  MXCNDArrayHandle outs[1] = {g2};
  MXCNDArrayHandle *outp = outs;
  ASSERT_EQ(MXCOpInvoke(op, 1, &g, &nout, &outp, 0, nullptr, nullptr), 0) << MXCGetLastError();
  std::fill(r.begin(), r.end(), 0);
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(g2, r.data(), n), 0) << MXCGetLastError();
  EXPECT_EQ(r, v);
  MXCNDArrayFree(g);
  MXCNDArrayFree(g2);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  int64_t in_use2 = 0, cached2 = 0;
  ASSERT_EQ(MXCGPUMemoryStats(0, &in_use2, &cached2, nullptr), 0);
  EXPECT_LE(in_use2, in_use - n * 8);
  EXPECT_GE(cached2, n * 8);
  ASSERT_EQ(MXCGPUReleaseCache(0), 0) << MXCGetLastError();
  ASSERT_EQ(MXCGPUMemoryStats(0, nullptr, &cached2, nullptr), 0);
  EXPECT_EQ(cached2, 0);
}

}  // namespace
