// Every operator with a GPU kernel, forward and gradient on gpu(0) against the CPU result (skipped, visibly,
// without a GPU), and a report of the operators whose GPU kernel is only host-staged.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <set>

#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

// Host-staged calls so far and the operators without a native kernel (none of either in a build without CUDA).
int64_t StagedCalls() {
#ifdef MXC_USE_CUDA
  return mxc::gpu::HostStagedCalls();
#else
  return 0;
#endif
}
std::set<std::string> StagedOps() {
  std::set<std::string> r;
#ifdef MXC_USE_CUDA
  for (const auto &s : mxc::gpu::HostStagedOps()) r.insert(s.substr(0, s.find(' ')));
#endif
  return r;
}

TEST(OpGpu, EveryGpuOpMatchesTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  std::set<std::string> covered, fell_back;
  const std::set<std::string> staged_ops = StagedOps();
  for (auto &c : TableCases()) {
    if (!mxc::OpRegistry::Get()->Find(c.op)) continue;
    const std::string name = mxc::OpRegistry::Get()->Find(c.op)->name;
    const int64_t before = StagedCalls();
    Compare(c);
    if (StagedCalls() != before && !staged_ops.count(name))
      fell_back.insert(name + "/" + mxc::DTypeName(c.dtype));
    covered.insert(name);
  }
  // The rest of the registry: operators that run on (3,4) inputs with default parameters are compared as they are
  // (this reaches the host-staged kernels too).
  int generic = 0;
  for (auto &c : DefaultParamCases(covered, MXC_GPU)) {
    const std::string name = mxc::OpRegistry::Get()->Find(c.op)->name;
    const int64_t before = StagedCalls();
    Compare(c);
    if (StagedCalls() != before && !staged_ops.count(name))
      fell_back.insert(name + "/" + mxc::DTypeName(c.dtype));
    ++generic;
  }
  std::string fb;
  for (const auto &f : fell_back) fb += " " + f;
  std::printf("[ gpu ] cases of operators with native kernels that ran host-staged:%s\n", fb.c_str());
  // Backwards get only the inputs and outputs they declared used (as from the executor and autograd), so a native
  // kernel that needs more would be host-staged here. The one expected entry: _sample_uniform's default case draws
  // low > high, and invalid parameters go to the CPU kernel for its error message.
  fell_back.erase("_sample_uniform/float32");
  EXPECT_TRUE(fell_back.empty()) << "operators with native kernels host-staged a call:" << fb;
  std::printf("[ gpu ] %zu operators compared from the table, %d more with default parameters\n", covered.size(),
              generic);
}

// Convolution runs its images in chunks bounded by MXC_CUDA_CONV_SCRATCH: chunks of 2 + 1 and of 1 image agree with
// the CPU (forward and every gradient).
TEST(OpGpu, ConvolutionInChunksMatchesTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  // (C*kh*kw + F) * oh*ow * 4 bytes per image: (3*9 + 4) * 6*5 * 4 = 3720.
  for (const char *budget : {"7441", "100"}) {
    SCOPED_TRACE(budget);
    setenv("MXC_CUDA_CONV_SCRATCH", budget, 1);
    Compare({"Convolution", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"pad", "(1,1)"}},
             {{3, 3, 6, 5}, {4, 3, 3, 3}, {4}}});
    Compare({"Convolution", {{"kernel", "(2,2)"}, {"num_filter", "4"}, {"num_group", "2"}, {"stride", "(2,2)"}},
             {{3, 4, 5, 6}, {4, 2, 2, 2}, {4}}});
  }
  unsetenv("MXC_CUDA_CONV_SCRATCH");
}

#ifdef MXC_USE_CUDA
// Convolution's GPU forward and gradients (write and add requests) against the CPU, with cuDNN forced, mxc's GEMM
// kernels forced, and the default choice by timing; each mode is checked to have run what it says.
std::vector<Case> ConvCases() {
  return {
      {"Convolution", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"pad", "(1,1)"}}, {{4, 3, 6, 5}, {4, 3, 3, 3}, {4}}},
      {"Convolution",
       {{"kernel", "(2,3)"}, {"num_filter", "4"}, {"stride", "(2,1)"}, {"dilate", "(1,2)"}, {"num_group", "2"},
        {"no_bias", "true"}},
       {{4, 4, 7, 8}, {4, 2, 2, 3}}},
      {"Convolution", {{"kernel", "(3,)"}, {"num_filter", "2"}, {"pad", "(1,)"}}, {{2, 3, 9}, {2, 3, 3}, {2}}},
      {"Convolution", {{"kernel", "(1,1)"}, {"num_filter", "3"}, {"cudnn_tune", "off"}}, {{3, 2, 4, 4}, {3, 2, 1, 1}, {3}}},
      {"Convolution", {{"kernel", "(3,3)"}, {"num_filter", "2"}, {"stride", "(2,2)"}}, {{2, 2, 7, 7}, {2, 2, 3, 3}, {2}},
       -1, 1, {}, nullptr, false, mxc::kFloat64},
  };
}

// The data and weight gradients added (kAddTo) onto gradients that hold 1.5, on the GPU and on the CPU.
void CompareAddTo(const Case &c) {
  SCOPED_TRACE(c.op + " (add requests)");
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
  OpParams p(op, c.params);
  std::vector<std::vector<double>> res[2];
  for (int d = 0; d < 2; ++d) {
    const Device dev = d == 0 ? Device::CPU() : kGPU;
    std::vector<NDArray> in, out;
    for (size_t i = 0; i < c.shapes.size(); ++i) in.push_back(CopyTo(mxct::Random(c.shapes[i], -1, 1, c.dtype, 5 + i), dev));
    mxc::Invoke(op, p, in, &out);
    NDArray head = CopyTo(mxct::Random(out[0].shape(), -1, 1, c.dtype, 77), dev);
    std::vector<NDArray> ig;
    std::vector<TBlob> og{head.blob()}, id, od{out[0].blob()}, gb;
    for (auto &a : in) {
      ig.push_back(CopyTo(mxct::FromVec(a.shape(), std::vector<double>(a.Size(), 1.5), c.dtype), dev));
      a.WaitToRead();
    }
    out[0].WaitToRead();
    for (auto &a : in) id.push_back(a.blob());
    for (auto &a : ig) gb.push_back(a.blob());
    std::vector<mxc::OpReq> req(in.size(), mxc::kAddTo);
    mxc::OpContext ctx;
    ctx.dev = dev;
    op->backward.at(dev.type)(ctx, p, og, id, od, req, gb);
    mxc::DeviceWait(dev);
    for (auto &a : ig) res[d].push_back(HostVec(a));
  }
  for (size_t k = 0; k < res[0].size(); ++k)
    mxct::ExpectNear(res[1][k], res[0][k], 1e-4, 1e-5, "added gradient of input " + std::to_string(k));
}

TEST(OpGpu, ConvolutionByCudnnAndByGemmMatchesTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const size_t first_choice = mxc::gpu::ConvChoices().size();  // geometries of this test only (unique shapes)
  for (const char *mode : {"gemm", "cudnn", "auto"}) {
    SCOPED_TRACE(mode);
    setenv("MXC_CUDA_CONV", mode, 1);
    const auto before = mxc::gpu::ConvAlgoStats();
    for (auto &c : ConvCases()) {
      Variant counted;
      counted.each_input_alone = false;  // (EveryGpuOpMatchesTheCpu does that for convolutions)
      CompareVariant(c, counted);
      CompareAddTo(c);
    }
    const auto after = mxc::gpu::ConvAlgoStats();
    const int64_t calls = (after.cudnn - before.cudnn) + (after.gemm - before.gemm);
    EXPECT_EQ(calls, 5 * 4) << "two forwards and two backwards per case";
    if (std::string(mode) == "gemm") {
      EXPECT_EQ(after.cudnn, before.cudnn);
      EXPECT_EQ(after.tuned, before.tuned);
    }
#ifdef MXC_USE_CUDNN
    if (std::string(mode) == "cudnn") EXPECT_EQ(after.gemm, before.gemm) << "every call through cuDNN";
    // A forward and a backward per case and request set, each chosen once (write and add share a key).
    if (std::string(mode) != "gemm") EXPECT_EQ(after.tuned - before.tuned, 5 * 2);
#else
    EXPECT_EQ(after.cudnn, before.cudnn) << "a build without cuDNN";
#endif
  }
  unsetenv("MXC_CUDA_CONV");
#ifdef MXC_USE_CUDNN
  // The default mode timed both candidates for each geometry and says so.
  int timed = 0;
  const auto choices = mxc::gpu::ConvChoices();
  for (size_t i = first_choice; i < choices.size(); ++i) {
    const std::string &line = choices[i];
    std::printf("[ gpu ] Convolution %s\n", line.c_str());
    if (line.find("MXC_CUDA_CONV=cudnn") == std::string::npos && line.find("tune None") != std::string::npos) {
      EXPECT_NE(line.find("gemm "), std::string::npos) << line;
      EXPECT_NE(line.find("cudnn"), std::string::npos) << line;
      ++timed;
    }
  }
  EXPECT_EQ(timed, 4 * 2);
  // cudnn_off=True keeps a convolution on the GEMM kernels.
  const auto before = mxc::gpu::ConvAlgoStats();
  Compare({"Convolution", {{"kernel", "(3,3)"}, {"num_filter", "2"}, {"cudnn_off", "true"}},
           {{2, 2, 5, 5}, {2, 2, 3, 3}, {2}}});
  EXPECT_EQ(mxc::gpu::ConvAlgoStats().cudnn, before.cudnn);
#endif
}
#endif

#ifdef MXC_USE_CUDA
// Deconvolution runs natively (mxc's GEMM kernels, not host-staged) in chunks of 2 + 1 and of 1 image, and adds its
// gradients onto existing ones like the CPU.
TEST(OpGpu, DeconvolutionInChunksAndAddRequestsMatchesTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const int64_t staged = mxc::gpu::HostStagedCalls();
  // The underlying convolution's (C*kh*kw + F) * oh*ow * 4 bytes per image of the first case: (4*9 + 3) * 4*5 * 4.
  for (const char *budget : {"6241", "100", ""}) {
    SCOPED_TRACE(budget);
    setenv("MXC_CUDA_CONV_SCRATCH", budget, 1);
    for (auto &c : DeconvCases()) {
      Compare(c);
      CompareAddTo(c);
    }
  }
  unsetenv("MXC_CUDA_CONV_SCRATCH");
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every Deconvolution call ran natively";
}

// The fused optimizer updates of cuda/gpu_ops_optim.cc and the interleaved attention products run natively (their
// table cases above compare them with the CPU).
TEST(OpGpu, OptimizerUpdatesAndAttentionRunNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const std::set<std::string> native = {
      "signsgd_update", "signum_update", "ftml_update", "ftrl_update", "lamb_update_phase1", "lamb_update_phase2",
      "mp_sgd_update", "mp_sgd_mom_update", "mp_nag_mom_update", "_contrib_interleaved_matmul_selfatt_qk",
      "_contrib_interleaved_matmul_selfatt_valatt", "_contrib_interleaved_matmul_encdec_qk",
      "_contrib_interleaved_matmul_encdec_valatt"};
  const int64_t staged = mxc::gpu::HostStagedCalls();
  int n = 0;
  for (auto &c : TableCases())
    if (native.count(c.op)) {
      Compare(c);
      ++n;
    }
  EXPECT_EQ(n, 14);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call ran natively";
}
#endif

#ifdef MXC_USE_CUDA
// 3-D Convolution/Deconvolution/Pooling (the depth-aware im2col/col2im and pooling kernels) and the contrib
// elementwise operators and BatchNormWithReLU run natively: forward and gradients, written and added, agree with the
// CPU, and no call is host-staged. The convolutions also run in chunks of one image.
TEST(OpGpu, Conv3DPoolingAndContribRunNativelyAndMatchTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (const char *budget : {"100", ""}) {
    SCOPED_TRACE(budget);
    setenv("MXC_CUDA_CONV_SCRATCH", budget, 1);
    for (auto &c : Conv3DCases()) {
      SCOPED_TRACE(c.op);
      Compare(c);
      CompareAddTo(c);
    }
  }
  unsetenv("MXC_CUDA_CONV_SCRATCH");
  for (auto &c : ContribCases()) {
    SCOPED_TRACE(c.op);
    Compare(c);
    // CompareAddTo passes the first output only (BatchNormWithReLU's gradient reads its mean and inverse std too).
    if (c.op.find("BatchNorm") == std::string::npos) CompareAddTo(c);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
}
#endif

#ifdef MXC_USE_CUDA
// Forwards with an add request onto outputs holding 1.5 (BatchNormWithReLU adds relu of its normalised output, the
// statistics still written and the moving ones updated), natively on the GPU as on the CPU.
TEST(OpGpu, ContribForwardAddRequestsMatchTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const int64_t staged = mxc::gpu::HostStagedCalls();
  struct AddCase {
    std::string op;
    Params params;
    std::vector<TShape> in, out;
    bool train;
  };
  const std::vector<AddCase> cases = {
      {"_contrib_BatchNormWithReLU", {{"fix_gamma", "false"}}, {{4, 3, 5}, {3}, {3}, {3}, {3}}, {{4, 3, 5}, {3}, {3}},
       true},
      {"_contrib_BatchNormWithReLU", {}, {{2, 4, 3}, {4}, {4}, {4}, {4}}, {{2, 4, 3}, {4}, {4}}, false},
      {"_contrib_quadratic", {{"a", "2"}, {"b", "-1"}, {"c", "0.5"}}, {{3, 4}}, {{3, 4}}, false},
      {"_contrib_sign_ste", {}, {{3, 4}}, {{3, 4}}, false},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.op);
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    OpParams p(op, c.params);
    std::vector<std::vector<double>> res[2];
    for (int d = 0; d < 2; ++d) {
      const Device dev = d == 0 ? Device::CPU() : kGPU;
      std::vector<NDArray> in, out;
      for (size_t i = 0; i < c.in.size(); ++i) {
        NDArray a = mxct::Random(c.in[i], i == 4 ? 0.5 : -1.0, 1.5, mxc::kFloat32, 11 + i);
        in.push_back(CopyTo(a, dev));
      }
      for (auto &s : c.out) out.push_back(CopyTo(mxct::FromVec(s, std::vector<double>(mxc::ShapeSize(s), 1.5)), dev));
      std::vector<TBlob> ib, ob;
      for (auto &a : in) ib.push_back(a.blob());
      for (auto &a : out) ob.push_back(a.blob());
      std::vector<mxc::OpReq> req(out.size(), mxc::kWriteTo);
      req[0] = mxc::kAddTo;
      mxc::OpContext ctx;
      ctx.dev = dev;
      ctx.is_train = c.train;
      op->compute.at(dev.type)(ctx, p, ib, req, ob);
      mxc::DeviceWait(dev);
      for (auto &a : out) res[d].push_back(HostVec(a));
      for (int m : op->MutateInputs(p)) res[d].push_back(HostVec(in[m]));
    }
    ASSERT_EQ(res[0].size(), res[1].size());
    for (size_t k = 0; k < res[0].size(); ++k)
      mxct::ExpectNear(res[1][k], res[0][k], 1e-4, 1e-5, "result " + std::to_string(k));
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
}
#endif

#ifdef MXC_USE_CUDA
// Integer arithmetic (uint8, int8, int32, int64) runs natively on the GPU with the CPU's semantics: wrap-around,
// division and modulo by 0 and by -1, Python's modulo, exact powers with negative exponents, scalars converted to
// the dtype; reductions in int64; argmax/argmin. The inputs cycle through small, signed and extreme values; results must be
// identical.
void CompareIntForward(const std::string &name, const Params &params, const std::vector<TShape> &shapes, int dtype) {
  SCOPED_TRACE(name + " " + mxc::DTypeName(dtype) + (params.empty() ? "" : " " + params.begin()->second));
  static const std::vector<double> vals = {0,   1,    -1,  2,   -2,  3,    -3,  7,          -7,
                                           127, -128, 100, -100, 13, -13, 64, 2147483647, -2147483648.0,
                                           255, 5,    -5,  31,  -31, 4};
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
  OpParams p(op, params);
  std::vector<NDArray> cin, gin, cout_, gout;
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::vector<double> v(mxc::ShapeSize(shapes[i]));
    for (size_t k = 0; k < v.size(); ++k) v[k] = vals[(k * (2 * i + 1) + 5 * i) % vals.size()];
    cin.push_back(mxct::FromVec(shapes[i], v, dtype));
    gin.push_back(CopyTo(cin.back(), kGPU));
  }
  mxc::Invoke(op, p, cin, &cout_);
  mxc::Invoke(op, p, gin, &gout);
  ASSERT_EQ(gout[0].dtype(), dtype);
  EXPECT_EQ(HostVec(gout[0]), HostVec(cout_[0]));
}

TEST(OpGpu, IntegerArithmeticMatchesTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const TShape s{4, 6};
  for (int dt : {mxc::kUint8, mxc::kInt8, mxc::kInt32, mxc::kInt64}) {
    for (const char *b : {"elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_mod", "_power", "_maximum",
                          "_minimum", "_equal", "_not_equal", "_greater", "_greater_equal", "_lesser", "_lesser_equal"})
      CompareIntForward(b, {}, {s, s}, dt);
    for (const char *sc : {"_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
                           "_rdiv_scalar", "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar",
                           "_maximum_scalar", "_minimum_scalar", "_equal_scalar", "_greater_scalar", "_lesser_scalar"})
      for (const char *v : {"3", "-2.7", "0", "-1", "200"}) CompareIntForward(sc, {{"scalar", v}}, {s}, dt);
    for (const char *u : {"negative", "abs", "sign", "square", "relu", "floor", "ceil", "round", "rint", "trunc", "fix",
                          "logical_not"})
      CompareIntForward(u, {}, {s}, dt);
    for (const char *b : {"broadcast_add", "broadcast_mul", "broadcast_div", "broadcast_mod", "broadcast_power",
                          "broadcast_maximum", "broadcast_equal", "broadcast_lesser"})
      CompareIntForward(b, {}, {{3, 1, 4}, {1, 5, 4}}, dt);
    // Reductions accumulate in int64 (wrapping around) and a mean truncates toward zero; (4, 300) takes the block
    // kernel (a long reduction), the others the thread kernel.
    for (const char *r : {"sum", "mean", "prod", "max", "min"}) {
      CompareIntForward(r, {{"axis", "1"}}, {s}, dt);
      CompareIntForward(r, {{"axis", "(0, 2)"}, {"keepdims", "true"}}, {{3, 4, 5}}, dt);
      CompareIntForward(r, {}, {{4, 300}}, dt);
      CompareIntForward(r, {{"axis", "1"}}, {{4, 300}}, dt);
    }
    // argmax/argmin: ties (the inputs repeat values) go to the first index, in the dtype itself.
    for (const char *r : {"argmax", "argmin"}) {
      CompareIntForward(r, {{"axis", "1"}}, {s}, dt);
      CompareIntForward(r, {{"axis", "0"}}, {{3, 4, 5}}, dt);
      CompareIntForward(r, {{"axis", "1"}}, {{2, 300}}, dt);
    }
    CompareIntForward("argmax_channel", {}, {s}, dt);
    CompareIntForward("clip", {{"a_min", "-2.5"}, {"a_max", "100"}}, {s}, dt);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every integer call above ran natively";
}
#endif

#ifdef MXC_USE_CUDA
// float16 calls a native kernel does not take as they are (BatchNorm's float16 data with float32 parameters, Embedding
// of float16 indices and weights, where with a float32 condition) run through float32 copies made on the device, not on
// host copies, and give the CPU's results.
TEST(OpGpu, Float16MixedCallsRunNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const int64_t staged = mxc::gpu::HostStagedCalls();
  auto run = [](const char *name, const Params &params, const std::vector<NDArray> &in, const Device &dev,
                bool train) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    std::vector<NDArray> din, out;
    for (auto &a : in) din.push_back(CopyTo(a, dev));
    mxc::Invoke(op, OpParams(op, params), din, &out, train);
    return HostVec(out[0]);
  };
  const int h = mxc::kFloat16;
  struct Call {
    const char *name;
    Params params;
    std::vector<NDArray> in;
    bool train;
  };
  std::vector<Call> calls = {
      {"BatchNorm", {{"fix_gamma", "false"}},
       {AsType(mxct::Random({4, 3, 5, 5}, -2, 2), h), mxct::Random({3}, 0.5, 1.5), mxct::Random({3}, -1, 1),
        mxct::Random({3}, -1, 1), mxct::Random({3}, 0.5, 1.5)},
       true},
      {"Embedding", {{"input_dim", "6"}, {"output_dim", "4"}},
       {mxct::FromVec({5}, {0, 5, 2, 2, 1}, h), AsType(mxct::Random({6, 4}, -1, 1), h)}, false},
      {"where", {}, {mxct::FromVec({2, 2}, {1, 0, 0, 1}), AsType(mxct::Random({2, 2}, -1, 1), h),
                     AsType(mxct::Random({2, 2}, -1, 1), h)}, false}};
  for (auto &c : calls) {
    SCOPED_TRACE(c.name);
    mxct::ExpectNear(run(c.name, c.params, c.in, kGPU, c.train), run(c.name, c.params, c.in, Device::CPU(), c.train),
                     2e-3, 2e-3, "output");
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
}
#endif

TEST(OpGpu, ReportsOperatorsWithoutNativeKernel) {
#ifdef MXC_USE_CUDA
  auto staged = mxc::gpu::HostStagedOps();
  size_t total = 0;
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List())
    if (op->compute.count(MXC_CPU)) ++total;
  std::string list;
  for (auto &s : staged) list += (list.empty() ? "" : ", ") + s;
  std::printf("[ gpu ] %zu of %zu operators have only a host-staged GPU kernel: %s\n", staged.size(), total,
              list.c_str());
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List())
    if (op->compute.count(MXC_CPU)) EXPECT_TRUE(op->compute.count(MXC_GPU)) << op->name << " has no GPU kernel";
#else
  GTEST_SKIP() << "CPU-only build: no GPU kernels";
#endif
}

TEST(OpGpu, GpuArraysWithoutGpuAreADeviceError) {
  if (HaveGPU()) GTEST_SKIP() << "a GPU is present";
  try {
    NDArray a(TShape{2}, mxc::kFloat32, kGPU);
    FAIL() << "expected a DeviceError";
  } catch (const mxc::Error &e) {
    EXPECT_EQ(e.kind(), mxc::ErrorKind::kDevice);
    EXPECT_NE(std::string(e.what()).find("gpu(0) is not available"), std::string::npos) << e.what();
  }
}

}  // namespace
