// Native GPU kernel of cuda/gpu_ops_ctc.cc (CTCLoss): loss and gradient on gpu(0) against the CPU kernel, with write
// and add requests, both blank conventions, data and label lengths, repeated tokens, infeasible labels (zero loss
// and gradient), sequences longer than a warp, and the CPU's label errors, without host staging (skipped, visibly,
// without a GPU).
#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
using Fill = std::function<void(std::vector<NDArray> &)>;

// Inputs k.. replaced by the given values (in their dtypes).
Fill Set(int k, std::vector<std::vector<double>> values) {
  return [=](std::vector<NDArray> &in) {
    for (size_t i = 0; i < values.size(); ++i)
      in[k + i] = mxct::FromVec(in[k + i].shape(), values[i], in[k + i].dtype());
  };
}

std::vector<Case> CtcCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  // blank 0, labels padded with 0; a repeated token; the second sample's label of one token
  add({"CTCLoss", {}, {{6, 3, 5}, {3, 3}}, -2, 2, {1}, Set(1, {{1, 2, 2, 3, 0, 0, 4, 1, 3}})});
  // blank last, padded with -1; float64; an empty label
  add({"CTCLoss", {{"blank_label", "last"}}, {{5, 3, 4}, {3, 2}}, -2, 2, {1},
       Set(1, {{0, 1, 2, 2, -1, -1}}), false, kF64});
  // data and label lengths; the third sample is infeasible (1, 1 needs 3 steps, it has 2)
  add({"CTCLoss", {{"use_data_lengths", "true"}, {"use_label_lengths", "true"}}, {{7, 3, 6}, {3, 4}, {3}, {3}}, -2,
       2, {1, 2, 3}, Set(1, {{1, 5, 2, 3, 4, 4, 0, 0, 1, 1, 3, 3}, {7, 5, 2}, {3, 2, 2}})});
  add({"CTCLoss", {{"use_data_lengths", "true"}, {"blank_label", "last"}}, {{6, 2, 3}, {2, 3}, {2}}, -2, 2, {1, 2},
       Set(1, {{0, 1, 0, 1, -1, -1}, {0, 4}}), false, kF64});
  // 40 steps and 31 extended label positions over more threads than a warp
  std::vector<double> long_labels;
  for (int i = 0; i < 30; ++i) long_labels.push_back(i < 15 ? 1 + (i * 3) % 7 : 1 + i % 5);
  add({"CTCLoss", {}, {{40, 2, 8}, {2, 15}}, -2, 2, {1}, Set(1, {long_labels})});
  return v;
}

TEST(OpGpuCtc, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(CtcCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuCtc, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : CtcCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The loss of an infeasible label is 0 with a zero gradient, as in MXNet 1.9.1 (ctc_loss of 2 steps for the label
// [1, 1] gives 0).
TEST(OpGpuCtc, InfeasibleLabelGivesZero) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const NDArray data = CopyTo(mxct::Random({2, 1, 3}, -1, 1), kGPU);
  const NDArray label = CopyTo(mxct::FromVec({1, 2}, {1, 1}), kGPU);
  auto out = mxct::Run("CTCLoss", {data, label});
  mxct::ExpectNear(HostVec(out[0]), {0.0}, 0, 0, "loss");
#endif
}

// Bad labels and lengths fail as on the CPU, naming the operator and the entry.
TEST(OpGpuCtc, ErrorsAsTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  auto expect = [](const std::vector<NDArray> &in, const Params &params, const std::vector<std::string> &parts) {
    std::vector<NDArray> g;
    for (auto &a : in) g.push_back(CopyTo(a, kGPU));
    try {
      HostVec(mxct::Run("CTCLoss", g, params)[0]);
      ADD_FAILURE() << "CTCLoss did not fail";
    } catch (const mxc::Error &e) {
      for (auto &s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
    }
  };
  const NDArray data = mxct::Random({4, 2, 3}, -1, 1);
  expect({data, mxct::FromVec({2, 2}, {1, 2, 3, 0})}, {}, {"CTCLoss", "label[1, 0] = 3", "alphabet"});
  expect({data, mxct::FromVec({2, 2}, {0, 2, 1, -1})}, {{"blank_label", "last"}}, {"CTCLoss", "label[0, 1] = 2"});
  expect({data, mxct::FromVec({2, 2}, {1, 2, 1, 0}), mxct::FromVec({2}, {4, 5})}, {{"use_data_lengths", "true"}},
         {"CTCLoss", "data_lengths[1] = 5"});
  expect({data, mxct::FromVec({2, 2}, {1, 2, 1, 0}), mxct::FromVec({2}, {3, 2})}, {{"use_label_lengths", "true"}},
         {"CTCLoss", "label_lengths[0] = 3"});
#endif
}

}  // namespace
