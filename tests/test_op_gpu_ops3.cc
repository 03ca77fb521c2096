// Native GPU kernels of cuda/gpu_ops_ops3.cc (Correlation, contrib count_sketch, contrib RROIAlign,
// fill_element_0index, and pick's alias choose_element_0index): forward and gradient on gpu(0)
// against the CPU kernels, with write and add requests, and without host staging (skipped, visibly, without a GPU).
#include <vector>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;

// fill: input k holds random bucket indices in [0, buckets) (and input k + 1 random signs).
std::function<void(std::vector<NDArray> &)> Buckets(int k, int64_t buckets) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> h(in[k].Size()), s(in[k + 1].Size());
    for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<double>((i * 7 + 3) % buckets);
    for (size_t i = 0; i < s.size(); ++i) s[i] = (i * 5) % 3 ? 1.0 : -1.0;
    in[k] = mxct::FromVec(in[k].shape(), h, in[k].dtype());
    in[k + 1] = mxct::FromVec(in[k + 1].shape(), s, in[k + 1].dtype());
  };
}

// fill: input k holds `values`.
std::function<void(std::vector<NDArray> &)> SetInput(int k, std::vector<double> values) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::FromVec(in[k].shape(), values, in[k].dtype()); };
}

std::vector<Case> Ops3Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  add({"Correlation", {}, {{2, 3, 5, 6}, {2, 3, 5, 6}}});
  add({"Correlation", {{"kernel_size", "3"}, {"max_displacement", "2"}, {"pad_size", "2"}}, {{2, 3, 6, 7}, {2, 3, 6, 7}}});
  add({"Correlation", {{"max_displacement", "3"}, {"stride1", "2"}, {"stride2", "2"}, {"pad_size", "3"}},
       {{1, 4, 7, 6}, {1, 4, 7, 6}}, -1, 1, {}, nullptr, false, kF64});
  add({"Correlation", {{"kernel_size", "3"}, {"max_displacement", "1"}, {"stride1", "2"}, {"pad_size", "1"},
                       {"is_multiply", "false"}},
       {{2, 2, 6, 5}, {2, 2, 6, 5}}});
  add({"Correlation", {{"max_displacement", "2"}, {"stride2", "2"}, {"is_multiply", "false"}},
       {{1, 3, 6, 6}, {1, 3, 6, 6}}, -1, 1, {}, nullptr, false, kF64});
  add({"_contrib_count_sketch", {{"out_dim", "5"}}, {{4, 9}, {1, 9}, {1, 9}}, -1, 1, {1, 2}, Buckets(1, 5)});
  add({"_contrib_count_sketch", {{"out_dim", "7"}, {"processing_batch_size", "2"}}, {{3, 20}, {2, 20}, {2, 20}}, -1, 1,
       {1, 2}, Buckets(1, 7), false, kF64});
  // RROIAlign: rois inside and across the border, one with a batch index out of range (zeros), rotations.
  const std::vector<double> rr = {0, 2.5, 2, 3, 2, 0,    1, 3, 2.5, 4, 3, 30, 0, 2, 2, 2, 4, -45,
                                  1, 1, 1, 0.5, 0.5, 90, 0, 4, 1, 6, 3, 150,  3, 2, 2, 2, 2, 10,
                                  1, 6, 4, 9, 7, -120};
  add({"_contrib_RROIAlign", {{"pooled_size", "(2, 3)"}, {"spatial_scale", "1"}}, {{2, 3, 5, 6}, {7, 6}}, -1, 1,
       {1}, SetInput(1, rr)});
  add({"_contrib_RROIAlign", {{"pooled_size", "(2, 2)"}, {"spatial_scale", "0.7"}, {"sampling_ratio", "2"}},
       {{2, 2, 6, 7}, {7, 6}}, -1, 1, {1}, SetInput(1, rr), false, kF64});
  // fill_element_0index: indices in range, fractional (truncated), negative and past the end (rows unchanged).
  add({"fill_element_0index", {}, {{5, 4}, {5}, {5}}, -1, 1, {}, SetInput(2, {0, 2.7, -1, 4, -0.5})});
  add({"choose_element_0index", {}, {{4, 3}, {4}}, -1, 1, {1}, SetInput(1, {0, 2, 1, 5})});
  return v;
}

TEST(OpGpuOps3, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(Ops3Cases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuOps3, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Ops3Cases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuOps3, Float16MatchesFloat32) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  EXPECT_GT(CompareFloat16(Ops3Cases(), kGPU), 0);
}

// A bad bucket index on the GPU: the CPU's IndexError, naming the operator and the value.
TEST(OpGpuOps3, CountSketchBadIndexIsAnError) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_count_sketch");
  OpParams p(op, {{"out_dim", "3"}});
  std::vector<NDArray> in = {CopyTo(mxct::FromVec({2, 3}, {1, 2, 3, 4, 5, 6}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {0, 3, 1}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {1, 1, -1}), kGPU)};
  std::vector<NDArray> out;
  try {
    mxc::Invoke(op, p, in, &out);
    out[0].WaitToRead();
    ADD_FAILURE() << "no error";
  } catch (const mxc::Error &e) {
    EXPECT_NE(std::string(e.what()).find("_contrib_count_sketch: h[0, 1] = 3"), std::string::npos) << e.what();
  }
}

}  // namespace
