// Native GPU kernels of cuda/gpu_ops_ops3.cc (Correlation, contrib count_sketch, contrib RROIAlign,
// fill_element_0index, and pick's alias choose_element_0index): forward and gradient on gpu(0)
// against the CPU kernels, with write and add requests, and without host staging (skipped, visibly, without a GPU).
#include <vector>

#include "test_op_gpu_req.h"
#include "test_op_nn_util.h"
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
  // hawkesll: marks as int32 in [0, K), valid lengths (one fractional, one zero), positive parameters.
  auto hawkes = [](int64_t N, int64_t T, int64_t K, std::vector<double> vl) {
    return [=](std::vector<NDArray> &in) {
      const int dt = in[0].dtype();
      in[0] = mxct::Random({N, K}, 0.5, 2, dt, 11);
      in[1] = mxct::Random({K}, 0.1, 0.8, dt, 12);
      in[2] = mxct::Random({K}, 0.5, 2.5, dt, 13);
      in[3] = mxct::Random({N, K}, 0, 1.5, dt, 14);
      in[4] = mxct::Random({N, T}, 0.1, 1, dt, 15);
      std::vector<double> m(N * T);
      for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<double>((i * 5 + i / 3) % K);
      in[5] = mxct::FromVec({N, T}, m, mxc::kInt32);
      in[6] = mxct::FromVec({N}, vl, dt);
      std::vector<double> tm(N);
      for (int64_t n = 0; n < N; ++n) tm[n] = static_cast<double>(T) + 0.5 * n;
      in[7] = mxct::FromVec({N}, tm, dt);
    };
  };
  add({"_contrib_hawkesll", {}, {{4, 3}, {3}, {3}, {4, 3}, {4, 6}, {4, 6}, {4}, {4}}, -1, 1, {3, 4, 5, 6, 7},
       hawkes(4, 6, 3, {6, 3, 0, 4.5})});
  add({"_contrib_hawkesll", {}, {{3, 2}, {2}, {2}, {3, 2}, {3, 5}, {3, 5}, {3}, {3}}, -1, 1, {3, 4, 5, 6, 7},
       hawkes(3, 5, 2, {5, 1, 2}), false, kF64});
  // group_adagrad_update: history positive; clipping and rescaling; a 3-D weight (rows of 6).
  add({"_contrib_group_adagrad_update", {{"lr", "0.1"}}, {{5, 4}, {5, 4}, {5, 1}}, 0.1, 1.5});
  add({"_contrib_group_adagrad_update",
       {{"lr", "0.05"}, {"rescale_grad", "2"}, {"clip_gradient", "0.7"}, {"epsilon", "0.001"}},
       {{4, 3, 2}, {4, 3, 2}, {4, 1}}, 0.1, 1.5, {}, nullptr, false, kF64});
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
    if (c.op == "_contrib_group_adagrad_update" || c.op == "fill_element_0index")
      CompareReq(c, mxc::kWriteInplace, true);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuOps3, Float16MatchesFloat32) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  EXPECT_GT(CompareFloat16(Ops3Cases(), kGPU), 0);
}

// The call (its first output awaited) raises an error whose message contains `part`.
void ExpectInvokeError(const mxc::Op *op, const OpParams &p, const std::vector<NDArray> &in, const std::string &part) {
  mxct::ExpectErrorContains(
      [&] {
        std::vector<NDArray> out;
        mxc::Invoke(op, p, in, &out);
        out[0].WaitToRead();
      },
      {part});
}

// A bad bucket index on the GPU: the CPU's IndexError, naming the operator and the value.
TEST(OpGpuOps3, CountSketchBadIndexIsAnError) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_count_sketch");
  OpParams p(op, {{"out_dim", "3"}});
  std::vector<NDArray> in = {CopyTo(mxct::FromVec({2, 3}, {1, 2, 3, 4, 5, 6}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {0, 3, 1}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {1, 1, -1}), kGPU)};
  ExpectInvokeError(op, p, in, "_contrib_count_sketch: h[0, 1] = 3");
}

}  // namespace

namespace {

// hawkesll with a mark out of range on the GPU: the CPU's error, naming the operator and the position.
TEST(OpGpuOps3, HawkesBadMarkIsAnError) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_hawkesll");
  OpParams p(op, {});
  std::vector<NDArray> in = {CopyTo(mxct::FromVec({1, 2}, {1, 1}), kGPU),
                             CopyTo(mxct::FromVec({2}, {0.5, 0.5}), kGPU),
                             CopyTo(mxct::FromVec({2}, {1, 1}), kGPU),
                             CopyTo(mxct::FromVec({1, 2}, {0, 0}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {1, 1, 1}), kGPU),
                             CopyTo(mxct::FromVec({1, 3}, {0, 1, 2}, mxc::kInt32), kGPU),
                             CopyTo(mxct::FromVec({1}, {3}), kGPU),
                             CopyTo(mxct::FromVec({1}, {5}), kGPU)};
  ExpectInvokeError(op, p, in, "_contrib_hawkesll: marks[0, 2] = 2");
}

}  // namespace
