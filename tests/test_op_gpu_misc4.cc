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
  // the legacy operators through the current ones' GPU kernels
  add({"Convolution_v1", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"pad", "(1,1)"}}, {{2, 3, 6, 5}, {4, 3, 3, 3}, {4}}});
  add({"Convolution_v1", {{"kernel", "(2,2)"}, {"num_filter", "4"}, {"num_group", "2"}, {"stride", "(2,1)"},
                          {"dilate", "(1,2)"}, {"no_bias", "true"}},
       {{2, 4, 6, 7}, {4, 2, 2, 2}}, -1, 1, {}, nullptr, false, kF64});
  add({"Pooling_v1", {{"kernel", "(2,2)"}, {"stride", "(2,2)"}}, {{2, 3, 6, 5}}});
  add({"Pooling_v1", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"}, {"pool_type", "avg"},
                      {"pooling_convention", "full"}},
       {{2, 2, 5, 6}}});
  add({"Pooling_v1", {{"kernel", "(2,2)"}, {"pool_type", "sum"}, {"global_pool", "true"}}, {{1, 3, 4, 4}}, -1, 1, {},
       nullptr, false, kF64});
  return v;
}

// BatchNorm_v1 (moving_var positive): training and inference, its mean and variance outputs compared too.
std::vector<Case> BNv1Cases() {
  auto var_positive = [](std::vector<NDArray> &in) { in[4] = mxct::Random(in[4].shape(), 0.5, 1.5, in[4].dtype(), 5); };
  std::vector<Case> v;
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"output_mean_var", "true"}}, {{4, 3, 2, 2}, {3}, {3}, {3}, {3}},
               -1, 1, {}, var_positive, true});
  v.push_back({"BatchNorm_v1", {{"output_mean_var", "true"}, {"momentum", "0.8"}}, {{6, 4}, {4}, {4}, {4}, {4}}, -1, 1,
               {}, var_positive, true, kF64});
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"eps", "0.01"}},
               {{2, 3, 5}, {3}, {3}, {3}, {3}}, -1, 1, {}, var_positive, false});
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"use_global_stats", "true"}}, {{3, 2, 3, 3}, {2}, {2}, {2}, {2}},
               -1, 1, {}, var_positive, true});
  return v;
}

TEST(OpGpuMisc4, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(Misc4Cases());
  CompareNative(BNv1Cases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuMisc4, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Misc4Cases()) {
    SCOPED_TRACE(c.op + " " + mxc::ShapeStr(c.shapes[0]));
    CompareReq(c, mxc::kWriteTo);
    // Max pooling's GPU gradient finds the maximum through the forward output (Pooling's kernel), which an add request
    // leaves as random values plus the pooled ones (CompareReq passes them to the backward): max pooling (Pooling_v1
    // without pool_type) is checked with write requests only.
    bool max_pool = c.op == "Pooling_v1";
    for (const auto &kv : c.params)
      if (kv.first == "pool_type") max_pool = false;
    if (!max_pool) CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
