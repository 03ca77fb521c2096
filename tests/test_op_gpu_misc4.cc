// Native GPU kernels of cuda/gpu_ops_misc4.cc (contrib fft / ifft and the other operators of branch misc): forward and
// gradient on gpu(0) against the CPU kernels, with write and add requests, and without host staging (skipped,
// visibly, without a GPU).
#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;

std::vector<Case> Misc4Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  for (const char *op : {"_contrib_fft", "_contrib_ifft"}) {
    add({op, {}, {{3, 8}}});                                   // radix-2
    add({op, {{"compute_size", "2"}}, {{5, 16}}});            // radix-2 in chunks of 2 rows
    add({op, {}, {{2, 3, 1, 6}}});                             // direct DFT, 4-D
    add({op, {{"compute_size", "1"}}, {{3, 10}}, -1, 1, {}, nullptr, false, kF64});
    add({op, {}, {{2, 1, 2, 32}}, -1, 1, {}, nullptr, false, kF64});
  }
  return v;
}

TEST(OpGpuMisc4, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(Misc4Cases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuMisc4, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Misc4Cases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
