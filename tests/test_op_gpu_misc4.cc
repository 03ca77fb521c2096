// Native GPU kernels of cuda/gpu_ops_misc4.cc (contrib fft / ifft and the other operators of branch misc): forward and
// gradient on gpu(0) against the CPU kernels, with write and add requests, and without host staging (skipped,
// visibly, without a GPU).
#include <cmath>

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
  add({"Convolution_v1", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"pad", "(1,1)"}},
       {{2, 3, 6, 5}, {4, 3, 3, 3}, {4}}});
  add({"Convolution_v1", {{"kernel", "(2,2)"}, {"num_filter", "4"}, {"num_group", "2"}, {"stride", "(2,1)"},
                          {"dilate", "(1,2)"}, {"no_bias", "true"}},
       {{2, 4, 6, 7}, {4, 2, 2, 2}}, -1, 1, {}, nullptr, false, kF64});
  add({"Pooling_v1", {{"kernel", "(2,2)"}, {"stride", "(2,2)"}}, {{2, 3, 6, 5}}});
  add({"Pooling_v1", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"}, {"pool_type", "avg"},
                      {"pooling_convention", "full"}},
       {{2, 2, 5, 6}}});
  add({"Pooling_v1", {{"kernel", "(2,2)"}, {"pool_type", "sum"}, {"global_pool", "true"}}, {{1, 3, 4, 4}}, -1, 1, {},
       nullptr, false, kF64});
  // misc_more4.cc
  add({"_onehot_encode", {}, {{5}, {5, 4}}, -1, 1, {0, 1},
       [](std::vector<NDArray> &in) { in[0] = mxct::FromVec({5}, {1, 0, 3.7, -1, 9}); }});
  add({"_grad_add", {}, {{3, 4}, {3, 4}}});
  add({"_grad_add", {}, {{2, 5}, {2, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_identity_with_attr_like_rhs", {}, {{3, 4}, {3, 4}}});
  add({"_identity_with_attr_like_rhs", {}, {{6}, {6}}, -1, 1, {}, nullptr, false, kF64});
  add({"_zeros_without_dtype", {{"shape", "(3, 4)"}}, {}});
  add({"_zeros_without_dtype", {{"shape", "(5,)"}, {"dtype", "1"}}, {}});
  add({"IdentityAttachKLSparseReg", {{"penalty", "0.1"}, {"sparseness_target", "0.2"}}, {{4, 3}, {3}}, 0.05, 0.95, {},
       nullptr, true});
  add({"IdentityAttachKLSparseReg", {{"momentum", "0.5"}}, {{2, 3, 2, 2}, {3}}, 0.05, 0.95, {}, nullptr, true, kF64});
  add({"IdentityAttachKLSparseReg", {}, {{4, 3}, {3}}, 0.05, 0.95, {}, nullptr, false});
  return v;
}

// BatchNorm_v1 (moving_var positive): training and inference, its mean and variance outputs compared too.
std::vector<Case> BNv1Cases() {
  auto var_positive = [](std::vector<NDArray> &in) { in[4] = mxct::Random(in[4].shape(), 0.5, 1.5, in[4].dtype(), 5); };
  std::vector<Case> v;
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"output_mean_var", "true"}},
               {{4, 3, 2, 2}, {3}, {3}, {3}, {3}},
               -1, 1, {}, var_positive, true});
  v.push_back({"BatchNorm_v1", {{"output_mean_var", "true"}, {"momentum", "0.8"}}, {{6, 4}, {4}, {4}, {4}, {4}}, -1, 1,
               {}, var_positive, true, kF64});
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"eps", "0.01"}},
               {{2, 3, 5}, {3}, {3}, {3}, {3}}, -1, 1, {}, var_positive, false});
  v.push_back({"BatchNorm_v1", {{"fix_gamma", "false"}, {"use_global_stats", "true"}},
               {{3, 2, 3, 3}, {2}, {2}, {2}, {2}},
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
    SCOPED_TRACE(c.op + " " + (c.shapes.empty() ? std::string() : mxc::ShapeStr(c.shapes[0])));
    // _zeros_without_dtype without dtype takes its dtype from the call or the graph (CompareReq infers it alone).
    if (c.op == "_zeros_without_dtype" && c.params.size() == 1) continue;
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

// _set_value fills a given output; integer outputs natively too.
TEST(OpGpuMisc4, SetValueAndIntegersNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_set_value");
  for (int dtype : {mxc::kFloat32, mxc::kFloat64, mxc::kInt32, mxc::kInt64, mxc::kUint8}) {
    std::vector<NDArray> out = {CopyTo(mxct::Random({3, 5}, 0, 4, dtype, 3), kGPU)};
    mxc::Invoke(op, OpParams(op, {{"src", "2.7"}}), {}, &out);
    std::vector<NDArray> cpu = {mxct::Random({3, 5}, 0, 4, dtype, 3)};
    mxc::Invoke(op, OpParams(op, {{"src", "2.7"}}), {}, &cpu);
    mxct::ExpectNear(HostVec(out[0]), mxct::ToVec(cpu[0]), 0, 0, "_set_value");
  }
  const mxc::Op *ga = mxc::OpRegistry::Get()->FindOrThrow("_grad_add");
  for (int dtype : {mxc::kInt32, mxc::kInt64, mxc::kUint8, mxc::kInt8}) {
    auto a = mxct::Random({7}, 0, 50, dtype, 1), b = mxct::Random({7}, 0, 50, dtype, 2);
    std::vector<NDArray> g, c;
    mxc::Invoke(ga, OpParams(ga, {}), {CopyTo(a, kGPU), CopyTo(b, kGPU)}, &g);
    mxc::Invoke(ga, OpParams(ga, {}), {a, b}, &c);
    mxct::ExpectNear(HostVec(g[0]), mxct::ToVec(c[0]), 0, 0, "_grad_add integers");
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// _sample_unique_zipfian on the GPU: distinct classes in range per row, the first draw following the log-uniform law.
TEST(OpGpuMisc4, UniqueZipfianNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_sample_unique_zipfian");
  std::vector<NDArray> out = {NDArray(TShape({3000, 3}), mxc::kInt64, kGPU),
                              NDArray(TShape({3000}), mxc::kInt64, kGPU)};
  mxc::Invoke(op, OpParams(op, {{"range_max", "20"}, {"shape", "(3000, 3)"}}), {}, &out);
  const auto s = HostVec(out[0]), t = HostVec(out[1]);
  std::vector<double> first(20, 0);
  for (int b = 0; b < 3000; ++b) {
    EXPECT_GE(t[b], 3);
    for (int j = 0; j < 3; ++j) {
      ASSERT_GE(s[b * 3 + j], 0);
      ASSERT_LT(s[b * 3 + j], 20);
      for (int k = 0; k < j; ++k) EXPECT_NE(s[b * 3 + j], s[b * 3 + k]);
    }
    first[static_cast<int>(s[b * 3])] += 1.0 / 3000;
  }
  for (int c = 0; c < 20; ++c) EXPECT_NEAR(first[c], std::log((c + 2.0) / (c + 1.0)) / std::log(21.0), 0.03) << c;
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "ran natively";
#endif
}

}  // namespace
