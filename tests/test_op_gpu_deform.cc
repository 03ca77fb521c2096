// Native GPU kernels of cuda/gpu_ops_deform.cc (_contrib_DeformableConvolution,
// _contrib_ModulatedDeformableConvolution): forward and every gradient on gpu(0) against the CPU kernels, with write
// and add requests, groups, deformable groups, strides, dilations, offsets reaching outside the image, without host
// staging (skipped, visibly, without a GPU).
#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
using Fill = std::function<void(std::vector<NDArray> &)>;

// Input k replaced by uniform values in [lo, hi).
Fill Uniform(int k, double lo, double hi) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::Random(in[k].shape(), lo, hi, in[k].dtype(), 131 + k); };
}
Fill Both(Fill a, Fill b) {
  return [=](std::vector<NDArray> &in) {
    a(in);
    b(in);
  };
}

std::vector<Case> DeformCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  const std::string dc = "_contrib_DeformableConvolution", mdc = "_contrib_ModulatedDeformableConvolution";
  // offsets of up to 2.5 pixels: samples clamped at the last row/column and outside the image
  add({dc, {{"kernel", "(3,3)"}, {"pad", "(1,1)"}, {"num_filter", "4"}},
       {{2, 4, 5, 6}, {2, 18, 5, 6}, {4, 4, 3, 3}, {4}}, -1, 1, {}, Uniform(1, -2.5, 2.5)});
  add({dc,
       {{"kernel", "(3,2)"}, {"pad", "(1,0)"}, {"stride", "(2,2)"}, {"dilate", "(2,1)"}, {"num_filter", "4"},
        {"num_group", "2"}, {"num_deformable_group", "2"}, {"no_bias", "true"}},
       {{1, 4, 7, 6}, {1, 24, 3, 3}, {4, 2, 3, 2}}, -1, 1, {}, Uniform(1, -1.5, 1.5), false, kF64});
  add({dc, {{"kernel", "(1,1)"}, {"num_filter", "3"}, {"num_deformable_group", "2"}},
       {{2, 2, 3, 4}, {2, 4, 3, 4}, {3, 2, 1, 1}, {3}}, -1, 1, {}, Uniform(1, -0.9, 0.9)});
  add({mdc, {{"kernel", "(3,3)"}, {"pad", "(1,1)"}, {"num_filter", "2"}},
       {{2, 3, 4, 5}, {2, 18, 4, 5}, {2, 9, 4, 5}, {2, 3, 3, 3}, {2}}, -1, 1, {},
       Both(Uniform(1, -2, 2), Uniform(2, 0, 1))});
  add({mdc,
       {{"kernel", "(2,2)"}, {"stride", "(2,2)"}, {"num_filter", "2"}, {"num_deformable_group", "3"},
        {"no_bias", "true"}},
       {{1, 3, 6, 6}, {1, 24, 3, 3}, {1, 12, 3, 3}, {2, 3, 2, 2}}, -1, 1, {},
       Both(Uniform(1, -1.5, 1.5), Uniform(2, 0, 1)), false, kF64});
  add({mdc, {{"kernel", "(3,3)"}, {"pad", "(2,2)"}, {"dilate", "(2,2)"}, {"num_filter", "4"}, {"num_group", "2"}},
       {{1, 2, 5, 5}, {1, 18, 5, 5}, {1, 9, 5, 5}, {4, 1, 3, 3}, {4}}, -1, 1, {},
       Both(Uniform(1, -1, 1), Uniform(2, 0, 1))});
  return v;
}

TEST(OpGpuDeform, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(DeformCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuDeform, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : DeformCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
